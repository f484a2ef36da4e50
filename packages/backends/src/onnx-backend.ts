// The `ModelBackend` on ONNX Runtime: likelihoods through the loss graph, generation through the decoder session
// (the generation engine wraps it). Nothing native loads until a model is opened.
import { injectable } from 'inversify';
import type { BackendOptions, GenerativeModel, LikelihoodModel, ModelBackend, ModelSpec } from '@judgekit/core';

@injectable()
export class OnnxBackend implements ModelBackend {
  readonly id = 'onnxruntime';

  async loadLikelihoodModel(spec: ModelSpec, options: BackendOptions = {}): Promise<LikelihoodModel> {
    const { createGpt2LikelihoodModel } = await import('./engine/gpt2-likelihood-model.js');
    return createGpt2LikelihoodModel(spec.path, {
      ...(spec.configPath !== undefined ? { configPath: spec.configPath } : {}),
      ...(options.device !== undefined ? { device: options.device } : {}),
      ...(options.threads !== undefined ? { threads: options.threads } : {}),
    });
  }

  async loadGenerativeModel(spec: ModelSpec, options: BackendOptions = {}): Promise<GenerativeModel> {
    const { openGenerativeModel } = await import('./generation/open-generative-model.js');
    return openGenerativeModel(spec.path, {
      ...(spec.configPath !== undefined ? { configPath: spec.configPath } : {}),
      ...(options.device !== undefined ? { device: options.device } : {}),
      ...(options.threads !== undefined ? { threads: options.threads } : {}),
      ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    });
  }
}

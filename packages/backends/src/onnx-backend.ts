// The `ModelBackend` on ONNX Runtime: likelihoods through the loss graph, generation through the decoder session
// (the generation engine wraps it). Nothing native loads until a model is opened.
import { injectable } from 'inversify';
import type { BackendOptions, FinetuneOutcome, FinetuneRecipe, FinetuneRequest, FinetuningBackend, GenerativeModel, LikelihoodModel, ModelSpec } from '@judgekit/core';
import type { FinetuneOptions, FinetuneResult } from './training/finetune-model.js';

@injectable()
export class OnnxBackend implements FinetuningBackend {
  readonly id = 'onnxruntime';
  readonly description = 'GPT-2-style safetensors checkpoints (Hugging Face or book naming) and ONNX files on ONNX Runtime: CPU, CUDA or WebGPU.';
  readonly optionsSchema = {
    type: 'object',
    additionalProperties: false,
    properties: { threads: { type: 'integer', minimum: 1, description: 'Intra-op threads (default: one per CPU).' } },
  };

  async loadLikelihoodModel(spec: ModelSpec, options: BackendOptions = {}): Promise<LikelihoodModel> {
    const { createGpt2LikelihoodModel } = await import('./engine/gpt2-likelihood-model.js');
    // The model carries its architecture's tokenizer: the study's loss over text documents tokenizes with it.
    return createGpt2LikelihoodModel(spec.path, {
      ...(spec.configPath !== undefined ? { configPath: spec.configPath } : {}),
      ...(options.device !== undefined ? { device: options.device } : {}),
      ...(threads(options) !== undefined ? { threads: threads(options) } : {}),
    });
  }

  async loadGenerativeModel(spec: ModelSpec, options: BackendOptions = {}): Promise<GenerativeModel> {
    const { openGenerativeModel } = await import('./generation/open-generative-model.js');
    return openGenerativeModel(spec.path, {
      ...(spec.configPath !== undefined ? { configPath: spec.configPath } : {}),
      ...(options.device !== undefined ? { device: options.device } : {}),
      ...(threads(options) !== undefined ? { threads: threads(options) } : {}),
      ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    });
  }

  async finetune(request: FinetuneRequest): Promise<FinetuneOutcome> {
    const { finetune } = await import('./training/finetune-model.js');
    const result = await finetune(onnxFinetuneOptions(request));
    return onnxFinetuneOutcome(request, result);
  }
}

/** The trainer's options for a study's fine-tune request (also what `judgekit run --queue` sends a worker). */
export function onnxFinetuneOptions(request: FinetuneRequest): FinetuneOptions {
  return {
    checkpoint: request.model.path,
    ...(request.model.configPath !== undefined ? { configPath: request.model.configPath } : {}),
    records: request.records,
    ...(request.split ? { split: request.split } : {}),
    outDir: request.runDir,
    name: request.name,
    recipe: trainingRecipe(request.recipe),
    ...(request.template !== undefined ? { template: request.template as FinetuneOptions['template'] } : {}),
    ...(request.device ? { device: request.device as FinetuneOptions['device'] } : {}),
    ...(typeof request.options?.threads === 'number' ? { threads: request.options.threads } : {}),
    ...(request.log ? { log: request.log } : {}),
    ...(request.progress !== undefined ? { progress: request.progress } : {}),
    ...(request.signal ? { signal: request.signal } : {}),
  };
}

/** What the finetune stage records of a finished fine-tune: the kept weights and how training went. */
export function onnxFinetuneOutcome(request: FinetuneRequest, result: Pick<FinetuneResult, 'modelPath' | 'configPath' | 'bestEpoch' | 'epochs' | 'stoppedEarly'>): FinetuneOutcome {
  return { model: { path: result.modelPath, configPath: result.configPath, name: request.name }, bestEpoch: result.bestEpoch, epochs: result.epochs.length, stoppedEarly: result.stoppedEarly };
}

/** Threads from the call, else from the model's backend options. */
function threads(options: BackendOptions): number | undefined {
  return options.threads ?? (typeof options.options?.threads === 'number' ? options.options.threads : undefined);
}

/** The study config's recipe in the trainer's terms: fixed epochs, or early stopping up to `maxEpochs` (default 100). */
function trainingRecipe(recipe: FinetuneRecipe): NonNullable<FinetuneOptions['recipe']> {
  const optimizer = {
    ...(recipe.learningRate !== undefined ? { lr: recipe.learningRate } : {}),
    ...(recipe.weightDecay !== undefined ? { weightDecay: recipe.weightDecay } : {}),
  };
  return {
    ...(recipe.batchSize !== undefined ? { batchSize: recipe.batchSize } : {}),
    ...(recipe.gradientAccumulation !== undefined ? { gradientAccumulation: recipe.gradientAccumulation } : {}),
    ...(recipe.maskPrompt !== undefined ? { maskPrompt: recipe.maskPrompt } : {}),
    ...(recipe.seed !== undefined ? { seed: recipe.seed } : {}),
    ...(recipe.maxLength !== undefined ? { maxLength: recipe.maxLength } : {}),
    stopping: recipe.epochs !== undefined ? { kind: 'fixed' as const, epochs: recipe.epochs } : { kind: 'early' as const, maxEpochs: recipe.maxEpochs ?? 100 },
    ...(Object.keys(optimizer).length > 0 ? { optimizer: optimizer as never } : {}),
  };
}

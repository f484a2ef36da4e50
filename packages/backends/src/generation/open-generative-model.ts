// Open a model file for generation: a safetensors checkpoint (config beside it or given) or an ONNX decoder,
// as the core `GenerativeModel`. ONNX Runtime is loaded only here, lazily.
import type { Device } from '@judgekit/core';
import { SessionGenerativeModel } from './session-generative-model.js';

export interface OpenGenerativeModelOptions {
  configPath?: string;
  device?: Device;
  threads?: number;
  /** Prompts per forward pass when a call names none; default 32. */
  batchSize?: number;
}

export async function openGenerativeModel(path: string, options: OpenGenerativeModelOptions = {}): Promise<SessionGenerativeModel> {
  const { createGpt2DecoderSession } = await import('../engine/gpt2-decoder-session.js');
  const session = await createGpt2DecoderSession(path, {
    ...(options.configPath !== undefined ? { configPath: options.configPath } : {}),
    ...(options.device !== undefined ? { device: options.device } : {}),
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
  });
  return new SessionGenerativeModel(session, options.batchSize !== undefined ? { batchSize: options.batchSize } : {});
}

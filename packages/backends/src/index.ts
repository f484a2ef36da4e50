// @judgekit/backends: model architectures chosen by config.json's `model_type` (GPT-2: safetensors checkpoints in
// two namings, its graphs and tokenizer), an ONNX writer, sessions on ONNX Runtime (CPU, CUDA, WebGPU) and the
// test-loss metric. The default export is the DI module; ONNX Runtime loads only when a model is opened.
import type { FinetuneOptions, FinetuneResult } from './training/finetune-model.js';

export { default } from './backends-module.js';
export * from './architectures/index.js';
export * from './architectures/gpt2/gpt2-architecture.js';
export * from './architectures/gpt2/gpt2-config.js';
export * from './architectures/gpt2/load-gpt2-checkpoint.js';
export * from './onnx/onnx-proto.js';
export { OnnxGraphBuilder, INLINE_LIMIT_BYTES, type SerializeOptions, type SerializedModel } from './onnx/graph-builder.js';
export * from './architectures/gpt2/gpt2-graph.js';
export * from './architectures/llama/llama-architecture.js';
export * from './architectures/llama/llama-config.js';
export * from './architectures/llama/load-llama-checkpoint.js';
export { buildLlamaGraph } from './architectures/llama/llama-graph.js';
export * from './onnx/onnx-metadata.js';
export * from './engine/ort-runtime.js';
export * from './engine/token-validation.js';
export * from './engine/gpt2-decoder-session.js';
export * from './engine/gpt2-likelihood-model.js';
export * from './architectures/gpt2/gpt2-text-tokenizer.js';
export * from './metrics/test-loss-metric.js';
export * from './onnx-backend.js';
// Generation (answers for the study) and instruction fine-tuning, for callers that import the main entry; their
// own subpaths (`/generation`, `/training`) load less. Training imports ONNX Runtime at module load, so only its
// types are re-exported here and `finetune` loads it on first call.
export * from './generation/index.js';
export type { FinetuneOptions, FinetuneResult } from './training/finetune-model.js';

/** Instruction fine-tuning (see `@judgekit/backends/training`); loads the training code and ONNX Runtime lazily. */
export async function finetune(options: FinetuneOptions): Promise<FinetuneResult> {
  const training = await import('./training/finetune-model.js');
  return training.finetune(options);
}
// Generation defines its own (structural) step arguments too; the engine's win on the main entry.
export type { DecoderStepArgs } from './engine/gpt2-decoder-session.js';
// The safetensors format and the test-loss protocol moved to @judgekit/core; re-exported so existing imports work.
export {
  decodeToFloat32,
  decodeToInt32,
  encodeSafetensors,
  floatToHalf,
  halfToFloat,
  parseSafetensorsHeader,
  readSafetensorsHeader,
  SafetensorsFile,
  writeSafetensors,
  type FloatTensor,
  type SafetensorsDtype,
  type SafetensorsEntry,
  type SafetensorsHeader,
  type SafetensorsInput,
  computeTestLoss,
  detectTokenFileFormat,
  documentSeparator,
  LLMC_MAGIC,
  openTokenSource,
  parseJsonlDocuments,
  planLossWindows,
  readJsonlDocuments,
  readTextDocuments,
  splitTextDocuments,
  testLossProtocol,
  tokenSourceFromArray,
  type LossWindow,
  type OpenTokenSourceOptions,
  type TestLossOptions,
  type TestLossProtocol,
  type TestLossResult,
  type TokenFileFormat,
  type TokenSource,
} from '@judgekit/core';
export { copyTokenizerFiles, TOKENIZER_FILES } from './training/copy-tokenizer-files.js';

// @judgekit/backends: GPT-2 checkpoints (safetensors, two namings), an ONNX writer and GPT-2 graphs, sessions on
// ONNX Runtime (CPU, CUDA, WebGPU) and the test-loss metric. The default export is the DI module; ONNX Runtime
// loads only when a model is opened.
export { default } from './backends-module.js';
export * from './checkpoint/safetensors.js';
export * from './checkpoint/gpt2-config.js';
export * from './checkpoint/load-gpt2-checkpoint.js';
export * from './onnx/onnx-proto.js';
export { OnnxGraphBuilder, INLINE_LIMIT_BYTES, type SerializeOptions, type SerializedModel } from './onnx/graph-builder.js';
export * from './onnx/gpt2-graph.js';
export * from './onnx/onnx-metadata.js';
export * from './engine/ort-runtime.js';
export * from './engine/token-validation.js';
export * from './engine/gpt2-decoder-session.js';
export * from './engine/gpt2-likelihood-model.js';
export * from './metrics/token-source.js';
export * from './metrics/test-loss.js';
export * from './metrics/test-loss-metric.js';
export * from './onnx-backend.js';

// @judgekit/backends/training: instruction fine-tuning on ONNX Runtime. The training step (forward, hand-derived
// backward) comes from the model's architecture and AdamW is a graph built here, so the same code trains on CPU,
// CUDA or WebGPU.
export * from './model-parameters.js';
export * from '../architectures/gpt2/gpt2-parameters.js';
export * from '../architectures/gpt2/gpt2-train-graph.js';
export { toCheckpointTensors } from '../architectures/gpt2/gpt2-checkpoint-tensors.js';
export * from './adamw.js';
export * from './gpt2-trainer.js';
export * from './instruction-batches.js';
export * from './instruction-finetune.js';
export * from './training-checkpoint.js';
export * from './finetune-model.js';
export * from './training-memory.js';
export { writeSafetensors as writeTrainingSafetensors, type NamedTensor, type SafetensorsContents } from './safetensors-file.js';

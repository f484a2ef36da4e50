// @judgekit/backends/training: instruction fine-tuning of GPT-2 models on ONNX Runtime. The training step (forward,
// hand-derived backward) and AdamW are ONNX graphs built here, so the same code trains on CPU, CUDA or WebGPU.
export * from './gpt2-parameters.js';
export * from './gpt2-train-graph.js';
export * from './adamw.js';
export * from './gpt2-trainer.js';
export * from './instruction-batches.js';
export * from './instruction-finetune.js';
export * from './training-checkpoint.js';
export * from './finetune-model.js';
export { readSafetensors as readTrainingSafetensors, writeSafetensors as writeTrainingSafetensors, type NamedTensor, type SafetensorsContents } from './safetensors-file.js';
export { encodeOnnxModel as encodeTrainingOnnxModel, type OnnxGraph as TrainingOnnxGraph } from './onnx-model-writer.js';
export { GraphBuilder as TrainingGraphBuilder, TRAINING_OPSET } from './graph-builder.js';

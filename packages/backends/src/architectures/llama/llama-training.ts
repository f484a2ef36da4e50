// What the generic trainer needs from the Llama family: its parameters, its loss-and-gradient graph, the host
// scatter-adds that finish the embedding and head gradients, and the mapping to and from Hugging Face checkpoints.
import type { TrainingSupport, TrainingTokens } from '../architecture.js';
import type { LlamaConfig } from './llama-config.js';
import { llamaCheckpointParameters, llamaCheckpointTensors } from './llama-checkpoint-tensors.js';
import { llamaParameterSpecs } from './llama-parameters.js';
import { buildLlamaTrainGraph, completeLlamaEmbeddingGradients, LLAMA_HEAD_ROWS_GRAD, LLAMA_TOKEN_ROWS_GRAD, llamaGraphHasGradient } from './llama-train-graph.js';
import type { LoadedLlama } from './load-llama-checkpoint.js';

export const llamaTraining: TrainingSupport<LlamaConfig, LoadedLlama> = Object.freeze({
  parameterSpecs: llamaParameterSpecs,
  buildTrainGraph: buildLlamaTrainGraph,
  graphHasGradient: llamaGraphHasGradient,
  hostGradientOutputs: Object.freeze([LLAMA_TOKEN_ROWS_GRAD, LLAMA_HEAD_ROWS_GRAD]),
  completeGradients: (config: LlamaConfig, grads: ReadonlyMap<string, Float32Array>, batch: TrainingTokens, outputs: Readonly<Record<string, Float32Array>>) =>
    completeLlamaEmbeddingGradients(config, grads, batch.inputs, batch.targets, outputs[LLAMA_TOKEN_ROWS_GRAD]!, outputs[LLAMA_HEAD_ROWS_GRAD]!),
  checkpointParameters: llamaCheckpointParameters,
  checkpointTensors: llamaCheckpointTensors,
});

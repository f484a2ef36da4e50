// GPT-2 (`model_type` "gpt2", and the book's GPTModel configs, which state none) as one `Architecture`: its configs,
// its two checkpoint namings, its ONNX graphs, `<|endoftext|>` and the r50k_base tokenizer.
import { JudgekitError } from '@judgekit/core';
import type { Architecture } from '../architecture.js';
import { gpt2ConfigFromDecoder, GPT2_MODEL_TYPE, gpt2ConfigToJson, parseGpt2ConfigJson, type Gpt2Config, type Gpt2Naming } from './gpt2-config.js';
import { gpt2CheckpointParameters, gpt2CheckpointTensors } from './gpt2-checkpoint-tensors.js';
import { buildGpt2Graph } from './gpt2-graph.js';
import { parameterSpecs } from './gpt2-parameters.js';
import { GPT2_SPECIAL_TOKENS } from './gpt2-special-tokens.js';
import { gpt2TextTokenizer } from './gpt2-text-tokenizer.js';
import { buildGpt2TrainGraph, completeEmbeddingGradients, graphHasGradient, HEAD_ROWS_GRAD, TOKEN_ROWS_GRAD } from './gpt2-train-graph.js';
import { loadGpt2Checkpoint, type LoadedGpt2 } from './load-gpt2-checkpoint.js';

const NAMINGS: readonly Gpt2Naming[] = Object.freeze(['hf', 'book']);

function gpt2Naming(naming: string): Gpt2Naming {
  if ((NAMINGS as readonly string[]).includes(naming)) return naming as Gpt2Naming;
  throw new JudgekitError('internal', `GPT-2 has no checkpoint naming "${naming}". Should be one of: ${NAMINGS.join(', ')}.`);
}

export const gpt2Architecture: Architecture<Gpt2Config, LoadedGpt2> = Object.freeze({
  modelType: GPT2_MODEL_TYPE,
  description: "GPT-2: Hugging Face GPT2LMHeadModel or the book's GPTModel checkpoints, the r50k_base tokenizer",
  namings: NAMINGS,
  parseConfig: parseGpt2ConfigJson,
  configToJson: (config: Gpt2Config, naming: string) => gpt2ConfigToJson(config, gpt2Naming(naming)),
  foreignConfig: gpt2ConfigFromDecoder,
  loadCheckpoint: loadGpt2Checkpoint,
  buildGraph: buildGpt2Graph,
  training: Object.freeze({
    parameterSpecs,
    buildTrainGraph: buildGpt2TrainGraph,
    graphHasGradient,
    hostGradientOutputs: Object.freeze([TOKEN_ROWS_GRAD, HEAD_ROWS_GRAD]),
    completeGradients: (config: Gpt2Config, grads: ReadonlyMap<string, Float32Array>, batch: { inputs: ArrayLike<number>; targets: ArrayLike<number> }, outputs: Readonly<Record<string, Float32Array>>) =>
      completeEmbeddingGradients(config, grads, batch.inputs, batch.targets, outputs[TOKEN_ROWS_GRAD]!, outputs[HEAD_ROWS_GRAD]!),
    checkpointParameters: gpt2CheckpointParameters,
    checkpointTensors: gpt2CheckpointTensors,
  }),
  specialTokens: GPT2_SPECIAL_TOKENS,
  createTokenizer: () => gpt2TextTokenizer,
});

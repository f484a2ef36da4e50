// Llama (`model_type` "llama": Hugging Face LlamaForCausalLM, e.g. SmolLM and TinyLlama) as one `Architecture`:
// its config.json, Hugging Face checkpoint naming, ONNX graphs and training. Unlike GPT-2 its special tokens and
// tokenizer differ per checkpoint, so it implements `specialTokensFor` (from config.json) and `tokenizerFor` (the
// tokenizer.json beside the checkpoint); its static `specialTokens` and `createTokenizer` throw, naming those.
import { JudgekitError, type Tokenizer } from '@judgekit/core';
import type { Architecture, ForeignDecoderShape, SpecialTokens, StatedConfig } from '../architecture.js';
import { completeLlamaConfig, LLAMA_MODEL_TYPE, llamaConfigToJson, parseLlamaConfigJson, type LlamaConfig } from './llama-config.js';
import { buildLlamaGraph } from './llama-graph.js';
import { loadLlamaTokenizer, llamaSpecialTokens } from './llama-tokenizer.js';
import { llamaTraining } from './llama-training.js';
import { loadLlamaCheckpoint, type LoadedLlama } from './load-llama-checkpoint.js';

function perCheckpoint(what: string): never {
  throw new JudgekitError('internal', `Llama models have no family-wide ${what}: each checkpoint brings its own (config.json, tokenizer.json); use specialTokensOf / tokenizerOf with the model.`);
}

/** The config of a foreign Llama ONNX decoder: its config.json, checked against what its inputs show. */
function llamaForeignConfig(found: ForeignDecoderShape, stated: StatedConfig<LlamaConfig> | undefined, file: string): LlamaConfig {
  if (!stated) {
    throw new JudgekitError('config', `${file}: a Llama ONNX decoder needs its config.json (hidden_size, heads, intermediate_size) beside it or given with --config.`, { file });
  }
  const config = completeLlamaConfig({ ...stated, naming: 'hf' }, file);
  const checks: Array<[keyof ForeignDecoderShape, number, string]> = [
    ['nLayers', config.nLayers, 'num_hidden_layers'],
    ['nHeads', config.nKvHeads, 'num_key_value_heads'],
    ['headDim', config.headDim, 'head_dim'],
    ['vocabSize', config.vocabSize, 'vocab_size'],
  ];
  for (const [key, expected, field] of checks) {
    const value = found[key];
    if (value !== undefined && value !== expected) {
      throw new JudgekitError('config', `${file}: the ONNX decoder has ${value} for "${field}" but its config says ${expected}.`, { file, location: field });
    }
  }
  return config;
}

export const llamaArchitecture: Architecture<LlamaConfig, LoadedLlama> = Object.freeze({
  modelType: LLAMA_MODEL_TYPE,
  description: 'Llama: Hugging Face LlamaForCausalLM checkpoints (RMSNorm, RoPE, SwiGLU, grouped-query attention), the tokenizer.json beside each',
  namings: Object.freeze(['hf']),
  parseConfig: (json: unknown, file?: string) => parseLlamaConfigJson(json, file),
  configToJson: (config: LlamaConfig) => llamaConfigToJson(config),
  foreignConfig: llamaForeignConfig,
  loadCheckpoint: loadLlamaCheckpoint,
  buildGraph: buildLlamaGraph,
  training: llamaTraining,
  get specialTokens(): SpecialTokens {
    return perCheckpoint('special tokens');
  },
  createTokenizer: (): Tokenizer => perCheckpoint('tokenizer'),
  specialTokensFor: (config: LlamaConfig) => llamaSpecialTokens(config),
  tokenizerFor: (model: { path: string; config: LlamaConfig }) => loadLlamaTokenizer(model.path, model.config),
});

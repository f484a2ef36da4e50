// The shape of a Llama-architecture model (Hugging Face `LlamaForCausalLM`, `model_type` "llama": SmolLM, TinyLlama
// and nanoGPT descendants), read from its `config.json`: RMSNorm, rotary position embeddings (Hugging Face's
// rotate-half layout), SwiGLU MLP, grouped-query attention and an optionally untied head.
import { JudgekitError } from '@judgekit/core';
import type { ModelDimensions } from '../architecture.js';

/** config.json's `model_type` for this family. */
export const LLAMA_MODEL_TYPE = 'llama';

/** Llama checkpoints come in Hugging Face's naming only. */
export type LlamaNaming = 'hf';

export interface LlamaConfig extends ModelDimensions {
  /** `hidden_size` (ModelDimensions.embDim). */
  embDim: number;
  /** `max_position_embeddings` (ModelDimensions.contextLength). */
  contextLength: number;
  /** `num_attention_heads` (query heads). */
  nHeads: number;
  /** `num_key_value_heads`; divides nHeads (grouped-query attention), equal to it for multi-head attention. */
  nKvHeads: number;
  /** `head_dim`, else hidden_size / num_attention_heads. */
  headDim: number;
  /** `intermediate_size`: the SwiGLU MLP's width. */
  intermediateSize: number;
  /** `rms_norm_eps`. */
  rmsNormEps: number;
  /** `rope_theta`. */
  ropeTheta: number;
  /** `tie_word_embeddings`: the head is the token embedding. */
  tiedHead: boolean;
  /** `attention_bias`: q, k, v and o projections carry a bias. */
  attentionBias: boolean;
  /** `bos_token_id`, `eos_token_id` (the first when a list), `pad_token_id`, when the config states them. */
  bosTokenId?: number;
  eosTokenId?: number;
  padTokenId?: number;
}

/** What a config file states; fields it leaves out come from the tensors or the defaults below. */
export type PartialLlamaConfig = Partial<LlamaConfig> & { naming: LlamaNaming };

/** Hugging Face LlamaConfig's defaults for fields a config may leave out. */
export const LLAMA_DEFAULTS = Object.freeze({ rmsNormEps: 1e-6, ropeTheta: 10000, tiedHead: false, attentionBias: false, contextLength: 2048 });

/** Read a parsed Hugging Face Llama config.json; throws naming the file and the field that is wrong. */
export function parseLlamaConfigJson(json: unknown, file = '<config>'): PartialLlamaConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new JudgekitError('config', `${file} must hold a JSON object with the model's shape.`, { file });
  }
  const record = json as Record<string, unknown>;
  const fail = (key: string, should: string): never => {
    throw new JudgekitError('config', `${file}: "${key}" must be ${should}, got ${JSON.stringify(record[key])}.`, { file, location: key });
  };
  const int = (key: string, min = 1): number | undefined => {
    const value = record[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) return fail(key, min === 0 ? 'a non-negative integer' : 'a positive integer');
    return value;
  };
  const positive = (key: string): number | undefined => {
    const value = record[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) return fail(key, 'a positive number');
    return value;
  };
  const bool = (key: string): boolean | undefined => {
    const value = record[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') return fail(key, 'true or false');
    return value;
  };
  const tokenId = (key: string): number | undefined => {
    const value = record[key];
    if (Array.isArray(value)) {
      if (value.length === 0 || !value.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0)) return fail(key, 'a token id or a list of them');
      return value[0] as number;
    }
    return int(key, 0);
  };
  const act = record.hidden_act ?? record.hidden_activation;
  if (act !== undefined && act !== 'silu') fail(record.hidden_act !== undefined ? 'hidden_act' : 'hidden_activation', '"silu" (the only activation Llama models use)');
  if (record.rope_scaling !== undefined && record.rope_scaling !== null) {
    throw new JudgekitError('config', `${file}: "rope_scaling" is not supported yet (only plain rotary embeddings); got ${JSON.stringify(record.rope_scaling)}.`, { file, location: 'rope_scaling' });
  }
  if (bool('mlp_bias') === true) {
    throw new JudgekitError('config', `${file}: "mlp_bias": true is not supported (Llama MLPs have no bias).`, { file, location: 'mlp_bias' });
  }
  const defined = <T extends object>(value: T): T => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
  const stated = defined<PartialLlamaConfig>({
    naming: 'hf',
    vocabSize: int('vocab_size'),
    contextLength: int('max_position_embeddings'),
    embDim: int('hidden_size'),
    nLayers: int('num_hidden_layers'),
    nHeads: int('num_attention_heads'),
    nKvHeads: int('num_key_value_heads'),
    headDim: int('head_dim'),
    intermediateSize: int('intermediate_size'),
    rmsNormEps: positive('rms_norm_eps'),
    ropeTheta: positive('rope_theta'),
    tiedHead: bool('tie_word_embeddings'),
    attentionBias: bool('attention_bias'),
    bosTokenId: tokenId('bos_token_id'),
    eosTokenId: tokenId('eos_token_id'),
    padTokenId: tokenId('pad_token_id'),
  });
  const heads = stated.nHeads;
  if (heads !== undefined && stated.nKvHeads !== undefined && heads % stated.nKvHeads !== 0) {
    throw new JudgekitError('config', `${file}: "num_key_value_heads" ${stated.nKvHeads} must divide "num_attention_heads" ${heads}.`, { file, location: 'num_key_value_heads' });
  }
  if (heads !== undefined && stated.headDim === undefined && stated.embDim !== undefined && stated.embDim % heads !== 0) {
    throw new JudgekitError('config', `${file}: "hidden_size" ${stated.embDim} is not divisible by "num_attention_heads" ${heads}; state "head_dim".`, { file, location: 'hidden_size' });
  }
  return stated;
}

/** Complete a stated config with Hugging Face's defaults; throws naming the field a config must state. */
export function completeLlamaConfig(stated: PartialLlamaConfig, file = '<config>'): LlamaConfig {
  const need = (key: keyof LlamaConfig, jsonKey: string): number => {
    const value = stated[key];
    if (typeof value !== 'number') throw new JudgekitError('config', `${file}: a Llama config must state "${jsonKey}".`, { file, location: jsonKey });
    return value;
  };
  const embDim = need('embDim', 'hidden_size');
  const nHeads = need('nHeads', 'num_attention_heads');
  const config: LlamaConfig = {
    vocabSize: need('vocabSize', 'vocab_size'),
    contextLength: stated.contextLength ?? LLAMA_DEFAULTS.contextLength,
    embDim,
    nLayers: need('nLayers', 'num_hidden_layers'),
    nHeads,
    nKvHeads: stated.nKvHeads ?? nHeads,
    headDim: stated.headDim ?? embDim / nHeads,
    intermediateSize: need('intermediateSize', 'intermediate_size'),
    rmsNormEps: stated.rmsNormEps ?? LLAMA_DEFAULTS.rmsNormEps,
    ropeTheta: stated.ropeTheta ?? LLAMA_DEFAULTS.ropeTheta,
    tiedHead: stated.tiedHead ?? LLAMA_DEFAULTS.tiedHead,
    attentionBias: stated.attentionBias ?? LLAMA_DEFAULTS.attentionBias,
  };
  if (stated.bosTokenId !== undefined) config.bosTokenId = stated.bosTokenId;
  if (stated.eosTokenId !== undefined) config.eosTokenId = stated.eosTokenId;
  if (stated.padTokenId !== undefined) config.padTokenId = stated.padTokenId;
  validateLlamaConfig(config, file);
  return config;
}

/** Check the shape is usable: integer sizes, KV heads dividing query heads. */
export function validateLlamaConfig(config: LlamaConfig, file?: string): void {
  const where = file ? { file } : {};
  for (const key of ['vocabSize', 'contextLength', 'embDim', 'nLayers', 'nHeads', 'nKvHeads', 'headDim', 'intermediateSize'] as const) {
    const value = config[key];
    if (!Number.isInteger(value) || value < 1) throw new JudgekitError('config', `Llama shape: \`${key}\` must be a positive integer, got ${String(value)}.`, where);
  }
  if (config.nHeads % config.nKvHeads !== 0) {
    throw new JudgekitError('config', `Llama shape: ${config.nKvHeads} KV heads do not divide ${config.nHeads} query heads.`, where);
  }
  if (config.headDim % 2 !== 0) throw new JudgekitError('config', `Llama shape: head_dim ${config.headDim} must be even for rotary embeddings.`, where);
}

/** The inverse of parseLlamaConfigJson, for writing configs beside checkpoints (Hugging Face's field names). */
export function llamaConfigToJson(config: LlamaConfig): Record<string, unknown> {
  const json: Record<string, unknown> = {
    model_type: LLAMA_MODEL_TYPE,
    architectures: ['LlamaForCausalLM'],
    vocab_size: config.vocabSize,
    max_position_embeddings: config.contextLength,
    hidden_size: config.embDim,
    num_hidden_layers: config.nLayers,
    num_attention_heads: config.nHeads,
    num_key_value_heads: config.nKvHeads,
    head_dim: config.headDim,
    intermediate_size: config.intermediateSize,
    hidden_act: 'silu',
    rms_norm_eps: config.rmsNormEps,
    rope_theta: config.ropeTheta,
    tie_word_embeddings: config.tiedHead,
    attention_bias: config.attentionBias,
  };
  if (config.bosTokenId !== undefined) json.bos_token_id = config.bosTokenId;
  if (config.eosTokenId !== undefined) json.eos_token_id = config.eosTokenId;
  if (config.padTokenId !== undefined) json.pad_token_id = config.padTokenId;
  return json;
}

// The shape of a GPT-2-architecture model, read from either the book's `GPTModel` JSON config or a Hugging Face
// `config.json`.
import { JudgekitError } from '@judgekit/core';
import type { ForeignDecoderShape } from '../architecture.js';

/** config.json's `model_type` for this family. */
export const GPT2_MODEL_TYPE = 'gpt2';

/** The two checkpoint namings: Hugging Face's GPT2LMHeadModel and the book's GPTModel. */
export type Gpt2Naming = 'hf' | 'book';

export interface Gpt2Config {
  vocabSize: number;
  contextLength: number;
  embDim: number;
  nLayers: number;
  nHeads: number;
  /** Query/key/value projections carry a bias. */
  qkvBias: boolean;
  /** The output head shares the token-embedding matrix. */
  tiedHead: boolean;
}

/** GPT-2's LayerNorm epsilon (both PyTorch implementations use 1e-5). */
export const LAYER_NORM_EPSILON = 1e-5;

/** What a config file states; fields it leaves out come from the tensors. */
export type PartialGpt2Config = Partial<Gpt2Config> & { naming: Gpt2Naming };

/** Read a parsed JSON config in either naming; throws naming the field that is wrong. */
export function parseGpt2ConfigJson(json: unknown, file = '<config>'): PartialGpt2Config {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new JudgekitError('config', `${file} must hold a JSON object with the model's shape.`, { file });
  }
  const record = json as Record<string, unknown>;
  const int = (key: string): number | undefined => {
    const value = record[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
      throw new JudgekitError('config', `${file}: "${key}" must be a positive integer, got ${JSON.stringify(value)}.`, { file, location: key });
    }
    return value;
  };
  const defined = <T extends object>(value: T): T =>
    Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
  if ('emb_dim' in record || 'n_layers' in record || 'context_length' in record) {
    const qkv = record.qkv_bias;
    if (qkv !== undefined && typeof qkv !== 'boolean') {
      throw new JudgekitError('config', `${file}: "qkv_bias" must be true or false, got ${JSON.stringify(qkv)}.`, { file, location: 'qkv_bias' });
    }
    return defined({
      naming: 'book' as const,
      vocabSize: int('vocab_size'),
      contextLength: int('context_length'),
      embDim: int('emb_dim'),
      nLayers: int('n_layers'),
      nHeads: int('n_heads'),
      qkvBias: qkv as boolean | undefined,
    });
  }
  if ('n_embd' in record || 'n_layer' in record || 'n_head' in record || 'n_positions' in record) {
    const tie = record.tie_word_embeddings;
    return defined({
      naming: 'hf' as const,
      vocabSize: int('vocab_size'),
      contextLength: int('n_positions') ?? int('n_ctx'),
      embDim: int('n_embd'),
      nLayers: int('n_layer'),
      nHeads: int('n_head'),
      // Hugging Face GPT-2 always has a QKV bias (c_attn.bias).
      qkvBias: true,
      tiedHead: typeof tie === 'boolean' ? tie : undefined,
    });
  }
  throw new JudgekitError(
    'config',
    `${file} is neither a book GPTModel config (emb_dim, n_layers, n_heads, context_length, vocab_size, qkv_bias) nor a Hugging Face GPT-2 config (n_embd, n_layer, n_head, n_positions, vocab_size).`,
    { file },
  );
}

/** The inverse of parseGpt2ConfigJson, for writing configs beside checkpoints. */
export function gpt2ConfigToJson(config: Gpt2Config, naming: Gpt2Naming): Record<string, unknown> {
  if (naming === 'book') {
    return {
      vocab_size: config.vocabSize,
      context_length: config.contextLength,
      emb_dim: config.embDim,
      n_heads: config.nHeads,
      n_layers: config.nLayers,
      drop_rate: 0,
      qkv_bias: config.qkvBias,
    };
  }
  return {
    model_type: GPT2_MODEL_TYPE,
    architectures: ['GPT2LMHeadModel'],
    vocab_size: config.vocabSize,
    n_positions: config.contextLength,
    n_ctx: config.contextLength,
    n_embd: config.embDim,
    n_layer: config.nLayers,
    n_head: config.nHeads,
    layer_norm_epsilon: 1e-5,
    activation_function: 'gelu_new',
    tie_word_embeddings: config.tiedHead,
  };
}

/** Check the shape is usable (heads divide the width, and so on). */
export function validateGpt2Config(config: Gpt2Config, file?: string): void {
  if (config.embDim % config.nHeads !== 0) {
    throw new JudgekitError('config', `emb_dim ${config.embDim} is not divisible by n_heads ${config.nHeads}.`, file ? { file } : {});
  }
}

/**
 * The config of a foreign GPT-2 ONNX decoder: its config file first, then what its inputs and outputs show, then
 * GPT-2's defaults (1024 positions, a QKV bias, a tied head).
 */
export function gpt2ConfigFromDecoder(found: ForeignDecoderShape, stated: PartialGpt2Config | undefined, file: string): Gpt2Config {
  const nLayers = found.nLayers ?? stated?.nLayers;
  const nHeads = stated?.nHeads ?? found.nHeads;
  const vocabSize = stated?.vocabSize ?? found.vocabSize;
  if (!nLayers || !nHeads || (!found.headDim && !stated?.embDim) || !vocabSize) {
    throw new JudgekitError(
      'model',
      `${file} does not look like a GPT-2 decoder (inputs input_ids, attention_mask, position_ids and, with a KV cache, past_key_values.N.key|value; output logits with a fixed vocabulary size); give its Hugging Face config.json with --config.`,
      { file },
    );
  }
  return {
    vocabSize,
    contextLength: stated?.contextLength ?? 1024,
    embDim: stated?.embDim ?? nHeads * found.headDim!,
    nLayers,
    nHeads,
    qkvBias: stated?.qkvBias ?? true,
    tiedHead: stated?.tiedHead ?? true,
  };
}

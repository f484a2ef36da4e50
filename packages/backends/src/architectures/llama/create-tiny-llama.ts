// Writes small seeded random Llama checkpoint folders for tests and examples, as Hugging Face lays them out:
// config.json, model.safetensors (LlamaForCausalLM naming, nn.Linear [out, in]) and tokenizer.json, a byte-level
// BPE tokenizer (GPT-2's byte alphabet, a few merges, `<unk>` `<s>` `</s>` as Llama 2 numbers them, and a
// TemplateProcessing post_processor that prepends `<s>` unless `addBos` is false) that @huggingface/tokenizers
// loads and that encodes any text.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSafetensors, type SafetensorsInput } from '@judgekit/core';
import { llamaConfigToJson, validateLlamaConfig, type LlamaConfig } from './llama-config.js';
import { llamaCheckpointTensors } from './llama-checkpoint-tensors.js';
import { randomLlamaParameters } from './llama-parameters.js';
import { loadLlamaCheckpoint, type LoadedLlama } from './load-llama-checkpoint.js';

export interface TinyLlamaOptions {
  seed?: number;
  embDim?: number;
  nLayers?: number;
  nHeads?: number;
  nKvHeads?: number;
  intermediateSize?: number;
  contextLength?: number;
  tiedHead?: boolean;
  attentionBias?: boolean;
  ropeTheta?: number;
  rmsNormEps?: number;
  /** Storage dtype (default F32). */
  dtype?: 'F32' | 'F16' | 'BF16';
  /** Prepend `<s>` in tokenizer.json's post_processor (default true, as Llama 2's tokenizer). */
  addBos?: boolean;
  /** Directory to write into; default a fresh temp dir. */
  dir?: string;
  /** Standard deviation of the random matrices (default 0.3: logits far from uniform). */
  std?: number;
}

export interface TinyLlama {
  dir: string;
  checkpointPath: string;
  configPath: string;
  tokenizerPath: string;
  config: LlamaConfig;
  /** The checkpoint as loadLlamaCheckpoint reads it back. */
  model: LoadedLlama;
}

/** Llama 2's special ids. */
export const TINY_LLAMA_SPECIAL = Object.freeze({ unk: 0, bos: 1, eos: 2 });
/** A few merges so common English pieces become single tokens (each left and right piece is in the vocabulary). */
const MERGES: ReadonlyArray<[string, string]> = [
  ['Ġ', 't'], ['h', 'e'], ['i', 'n'], ['e', 'r'], ['a', 'n'], ['Ġ', 'a'], ['o', 'n'], ['r', 'e'],
  ['Ġt', 'he'], ['Ġ', 's'], ['e', 's'], ['Ġ', 'w'], ['a', 't'], ['o', 'r'], ['Ġ', 'i'], ['Ġ', 'o'],
];

/** GPT-2's map from bytes to printable characters (the ByteLevel pre-tokenizer's alphabet). */
function byteAlphabet(): string[] {
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  let extra = 0;
  return Array.from({ length: 256 }, (_, b) => String.fromCodePoint(printable(b) ? b : 256 + extra++));
}

/** The tiny tokenizer.json: byte-level BPE over 256 byte tokens and MERGES, after the three special tokens. */
export function tinyLlamaTokenizerJson(addBos = true): { json: Record<string, unknown>; vocabSize: number } {
  const vocab: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2 };
  for (const piece of byteAlphabet()) vocab[piece] = Object.keys(vocab).length;
  for (const [left, right] of MERGES) vocab[left + right] = Object.keys(vocab).length;
  const special = (content: string, id: number) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  const bos = addBos ? [{ SpecialToken: { id: '<s>', type_id: 0 } }] : [];
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special('<unk>', 0), special('<s>', 1), special('</s>', 2)],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: {
      type: 'TemplateProcessing',
      single: [...bos, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [...bos, { Sequence: { id: 'A', type_id: 0 } }, ...bos, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder: byteLevel,
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab, merges: MERGES.map(([l, r]) => `${l} ${r}`) },
  };
  return { json, vocabSize: Object.keys(vocab).length };
}

/** Write a tiny seeded Llama checkpoint folder (config.json, model.safetensors, tokenizer.json). */
export async function createTinyLlama(options: TinyLlamaOptions = {}): Promise<TinyLlama> {
  const tokenizer = tinyLlamaTokenizerJson(options.addBos ?? true);
  const nHeads = options.nHeads ?? 4;
  const embDim = options.embDim ?? 32;
  const config: LlamaConfig = {
    vocabSize: tokenizer.vocabSize,
    contextLength: options.contextLength ?? 64,
    embDim,
    nLayers: options.nLayers ?? 2,
    nHeads,
    nKvHeads: options.nKvHeads ?? 2,
    headDim: embDim / nHeads,
    intermediateSize: options.intermediateSize ?? 64,
    rmsNormEps: options.rmsNormEps ?? 1e-5,
    ropeTheta: options.ropeTheta ?? 10000,
    tiedHead: options.tiedHead ?? true,
    attentionBias: options.attentionBias ?? false,
    bosTokenId: TINY_LLAMA_SPECIAL.bos,
    eosTokenId: TINY_LLAMA_SPECIAL.eos,
  };
  validateLlamaConfig(config);
  const parameters = randomLlamaParameters(config, options.seed ?? 1, { perturb: true, std: options.std ?? 0.3 });
  const dtype = options.dtype ?? 'F32';
  const tensors: Record<string, SafetensorsInput> = {};
  for (const [name, tensor] of llamaCheckpointTensors(config, parameters, { naming: 'hf', prefix: 'model.', sourceNames: [] })) {
    tensors[name] = { dtype, shape: tensor.shape, data: tensor.data };
  }
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'judgekit-tiny-llama-')));
  await mkdir(dir, { recursive: true });
  const checkpointPath = join(dir, 'model.safetensors');
  const configPath = join(dir, 'config.json');
  const tokenizerPath = join(dir, 'tokenizer.json');
  await writeSafetensors(checkpointPath, tensors, { format: 'pt' });
  await writeFile(configPath, `${JSON.stringify(llamaConfigToJson(config), null, 2)}\n`);
  await writeFile(tokenizerPath, `${JSON.stringify(tokenizer.json)}\n`);
  await writeFile(join(dir, 'tokenizer_config.json'), `${JSON.stringify({ tokenizer_class: 'PreTrainedTokenizerFast', bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', clean_up_tokenization_spaces: false })}\n`);
  const model = await loadLlamaCheckpoint(checkpointPath);
  return { dir, checkpointPath, configPath, tokenizerPath, config: model.config, model };
}

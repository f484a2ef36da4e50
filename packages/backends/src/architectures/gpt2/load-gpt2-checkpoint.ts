// Loads a GPT-2 checkpoint (Hugging Face GPT2LMHeadModel or the book's GPTModel naming, safetensors) into one
// canonical in-memory layout: every projection stored [in, out] so it can feed an ONNX MatMul directly.
import { JudgekitError, SafetensorsFile, type SafetensorsDtype } from '@judgekit/core';
import type { LoadedModel } from '../architecture.js';
import { findConfigBeside, readConfigJson } from '../model-config.js';
import { GPT2_MODEL_TYPE, LAYER_NORM_EPSILON, parseGpt2ConfigJson, validateGpt2Config, type Gpt2Config, type Gpt2Naming, type PartialGpt2Config } from './gpt2-config.js';

export interface Gpt2LayerWeights {
  ln1Scale: Float32Array;
  ln1Shift: Float32Array;
  /** [embDim, 3 * embDim]: query, key and value columns side by side. */
  qkvWeight: Float32Array;
  /** [3 * embDim], or null without a QKV bias. */
  qkvBias: Float32Array | null;
  /** [embDim, embDim]. */
  attnOutWeight: Float32Array;
  attnOutBias: Float32Array;
  ln2Scale: Float32Array;
  ln2Shift: Float32Array;
  /** [embDim, 4 * embDim]. */
  fcWeight: Float32Array;
  fcBias: Float32Array;
  /** [4 * embDim, embDim]. */
  projWeight: Float32Array;
  projBias: Float32Array;
}

export interface Gpt2Weights {
  /** [vocabSize, embDim]. */
  tokenEmbedding: Float32Array;
  /** [contextLength, embDim]. */
  positionEmbedding: Float32Array;
  layers: Gpt2LayerWeights[];
  finalNormScale: Float32Array;
  finalNormShift: Float32Array;
  /** [vocabSize, embDim] (PyTorch Linear layout); the same object as tokenEmbedding when the head is tied. */
  head: Float32Array;
}

export type { Gpt2Naming };

export interface LoadedGpt2 extends LoadedModel<Gpt2Config> {
  readonly modelType: typeof GPT2_MODEL_TYPE;
  config: Gpt2Config;
  weights: Gpt2Weights;
  layerNormEpsilon: number;
  /** `prefix`: what the Hugging Face names carry before `wte.weight` (`transformer.` or ''). */
  source: { path: string; naming: Gpt2Naming; prefix: string; configPath?: string };
}

export interface LoadGpt2Options {
  /** A JSON config (book or Hugging Face); default: `<name>.json` or `config.json` beside the checkpoint. */
  configPath?: string;
}

async function readGpt2ConfigFile(path: string): Promise<PartialGpt2Config> {
  return parseGpt2ConfigJson(await readConfigJson(path), path);
}

/** Which naming a tensor list uses, and the prefix of Hugging Face names ("transformer." or ""). */
export function detectGpt2Naming(names: readonly string[], file = '<checkpoint>'): { naming: Gpt2Naming; prefix: string } {
  if (names.includes('tok_emb.weight')) return { naming: 'book', prefix: '' };
  if (names.includes('transformer.wte.weight')) return { naming: 'hf', prefix: 'transformer.' };
  if (names.includes('wte.weight')) return { naming: 'hf', prefix: '' };
  const sample = names.slice(0, 5).join(', ');
  throw new JudgekitError(
    'model',
    `${file} is not a GPT-2 checkpoint: expected "tok_emb.weight" (book GPTModel) or "[transformer.]wte.weight" (Hugging Face GPT2LMHeadModel); found ${sample}${names.length > 5 ? ', ...' : ''}.`,
    { file },
  );
}

function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** [rows, cols] -> [cols, rows]. */
export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[base + c]!;
  }
  return out;
}

/** The storage dtypes GPT-2 weights may have; all but F32 are converted to F32 on load. */
export const GPT2_WEIGHT_DTYPES: readonly SafetensorsDtype[] = ['F32', 'F16', 'BF16', 'F64'];

/**
 * A weight tensor as F32: F32 data is a view into the file's bytes; F16, BF16 (and F64) are converted, and their
 * stored bytes released at once, so a half-precision checkpoint costs one F32 copy of its weights, not 1.5.
 */
function floatWeights(file: SafetensorsFile, name: string): Float32Array {
  const { dtype } = file.entry(name);
  if (!GPT2_WEIGHT_DTYPES.includes(dtype)) {
    throw new JudgekitError(
      'model',
      `${file.path}: tensor "${name}" has dtype ${dtype}; GPT-2 weights must be F32, F16 or BF16 (F16 and BF16 are converted to F32 on load). Re-save the checkpoint in one of those.`,
      { file: file.path, location: name },
    );
  }
  const data = file.float32(name).data;
  if (dtype !== 'F32') file.release(name);
  return data;
}

class TensorReader {
  constructor(
    private readonly file: SafetensorsFile,
    private readonly prefix: string,
  ) {}

  has(name: string): boolean {
    return this.file.has(this.prefix + name);
  }

  /** A tensor whose shape must be `expected`. */
  get(name: string, expected: number[], hint = ''): Float32Array {
    const full = this.prefix + name;
    if (!this.file.has(full)) {
      throw new JudgekitError('model', `${this.file.path} has no tensor "${full}" (expected shape [${expected.join(', ')}])${hint}.`, { file: this.file.path, location: full });
    }
    const entry = this.file.entry(full);
    if (entry.shape.length !== expected.length || entry.shape.some((d, i) => d !== expected[i])) {
      throw new JudgekitError(
        'model',
        `${this.file.path}: tensor "${full}" has shape [${entry.shape.join(', ')}] but the model config needs [${expected.join(', ')}]${hint}. Check the config (emb_dim/n_embd, vocab_size, context_length/n_positions) matches the checkpoint.`,
        { file: this.file.path, location: full },
      );
    }
    return floatWeights(this.file, full);
  }

  /** A tensor only needed to build another (a transposed copy): its bytes are dropped once `use` returns. */
  once<T>(name: string, expected: number[], use: (data: Float32Array) => T, hint = ''): T {
    const result = use(this.get(name, expected, hint));
    this.file.release(this.prefix + name);
    return result;
  }

  shape(name: string): number[] | undefined {
    return this.file.has(this.prefix + name) ? this.file.entry(this.prefix + name).shape : undefined;
  }
}

function inferLayers(names: readonly string[], pattern: RegExp): number {
  let max = -1;
  for (const name of names) {
    const match = pattern.exec(name);
    if (match) max = Math.max(max, Number(match[1]));
  }
  return max + 1;
}

/** Load a safetensors GPT-2 checkpoint in either naming. */
export async function loadGpt2Checkpoint(path: string, options: LoadGpt2Options = {}): Promise<LoadedGpt2> {
  let file: SafetensorsFile;
  try {
    // Tensor by tensor, never the whole file in one buffer (GPT-2 large is 3.1 GB in F32); the causal-mask buffers
    // of older Hugging Face exports are not used, so not read.
    file = await SafetensorsFile.read(path, { include: (name) => !/(^|\.)attn\.(masked_)?bias$/.test(name) });
  } catch (error) {
    if (JudgekitError.is(error)) throw error;
    throw new JudgekitError('model', `cannot read the checkpoint ${path}: ${(error as Error).message}`, { file: path, cause: error });
  }
  const configPath = options.configPath ?? (await findConfigBeside(path));
  const stated = configPath ? await readGpt2ConfigFile(configPath) : undefined;
  return gpt2FromSafetensors(file, stated, configPath);
}

/** Build the canonical weights from an opened safetensors file and (optionally) a parsed config. */
export function gpt2FromSafetensors(file: SafetensorsFile, stated: PartialGpt2Config | undefined, configPath?: string): LoadedGpt2 {
  const names = file.names();
  const { naming, prefix } = detectGpt2Naming(names, file.path);
  const reader = new TensorReader(file, prefix);
  const embName = naming === 'book' ? 'tok_emb.weight' : 'wte.weight';
  const posName = naming === 'book' ? 'pos_emb.weight' : 'wpe.weight';
  const embShape = reader.shape(embName)!;
  const posShape = reader.shape(posName);
  if (embShape.length !== 2) throw new JudgekitError('model', `${file.path}: "${prefix}${embName}" must be 2-D, found [${embShape.join(', ')}].`, { file: file.path });
  if (!posShape || posShape.length !== 2) {
    throw new JudgekitError('model', `${file.path}: "${prefix}${posName}" is missing or not 2-D.`, { file: file.path });
  }
  const nLayersFound = naming === 'book' ? inferLayers(names, /^trf_blocks\.(\d+)\./) : inferLayers(names, new RegExp(`^${prefix.replace('.', '\\.')}h\\.(\\d+)\\.`));
  if (stated?.nHeads === undefined) {
    throw new JudgekitError(
      'config',
      `${file.path}: the number of attention heads cannot be inferred from the tensors; give a config (${naming === 'book' ? 'book JSON with n_heads' : 'Hugging Face config.json with n_head'}) beside the checkpoint or with --config.`,
      { file: file.path },
    );
  }
  const qkvBiasFound = naming === 'book' ? file.has('trf_blocks.0.att.W_query.bias') : true;
  const config: Gpt2Config = {
    vocabSize: stated.vocabSize ?? embShape[0]!,
    contextLength: stated.contextLength ?? posShape[0]!,
    embDim: stated.embDim ?? embShape[1]!,
    nLayers: stated.nLayers ?? nLayersFound,
    nHeads: stated.nHeads,
    qkvBias: stated.qkvBias ?? qkvBiasFound,
    tiedHead: false,
  };
  validateGpt2Config(config, configPath);
  if (config.nLayers !== nLayersFound) {
    throw new JudgekitError('model', `${file.path}: the config says ${config.nLayers} layers but the checkpoint holds ${nLayersFound}.`, { file: file.path });
  }
  if (naming === 'book' && config.qkvBias !== qkvBiasFound) {
    throw new JudgekitError(
      'model',
      `${file.path}: the config says qkv_bias=${config.qkvBias} but the checkpoint ${qkvBiasFound ? 'has' : 'has no'} "trf_blocks.0.att.W_query.bias"; fix qkv_bias in the config.`,
      { file: file.path, location: 'qkv_bias' },
    );
  }
  const C = config.embDim;
  const V = config.vocabSize;
  const tokenEmbedding = reader.get(embName, [V, C]);
  const positionEmbedding = reader.get(posName, [config.contextLength, C]);
  const layers: Gpt2LayerWeights[] = [];
  for (let i = 0; i < config.nLayers; i++) {
    layers.push(naming === 'book' ? readBookLayer(reader, i, config) : readHfLayer(reader, i, C));
  }
  const finalNormScale = reader.get(naming === 'book' ? 'final_norm.scale' : 'ln_f.weight', [C]);
  const finalNormShift = reader.get(naming === 'book' ? 'final_norm.shift' : 'ln_f.bias', [C]);
  // The head: book checkpoints always store out_head; HF ones omit lm_head when tied. Identical values are
  // tied here too, so the graph keeps one copy.
  let head = tokenEmbedding;
  const headName = naming === 'book' ? 'out_head.weight' : 'lm_head.weight';
  const headFull = naming === 'book' ? headName : file.has(headName) ? headName : prefix + headName;
  if (file.has(headFull)) {
    const shape = file.entry(headFull).shape;
    if (shape.length !== 2 || shape[0] !== V || shape[1] !== C) {
      throw new JudgekitError('model', `${file.path}: tensor "${headFull}" has shape [${shape.join(', ')}] but the model needs [${V}, ${C}].`, { file: file.path, location: headFull });
    }
    const values = floatWeights(file, headFull);
    if (!sameValues(values, tokenEmbedding)) head = values;
  } else if (naming === 'book') {
    throw new JudgekitError('model', `${file.path} has no tensor "out_head.weight" (expected shape [${V}, ${C}]).`, { file: file.path, location: 'out_head.weight' });
  }
  config.tiedHead = head === tokenEmbedding;
  return {
    modelType: GPT2_MODEL_TYPE,
    config,
    weights: { tokenEmbedding, positionEmbedding, layers, finalNormScale, finalNormShift, head },
    layerNormEpsilon: LAYER_NORM_EPSILON,
    source: { path: file.path, naming, prefix, ...(configPath ? { configPath } : {}) },
  };
}

function readHfLayer(reader: TensorReader, i: number, C: number): Gpt2LayerWeights {
  const p = `h.${i}.`;
  // Conv1D stores [in, out]: already the layout the graph wants.
  return {
    ln1Scale: reader.get(`${p}ln_1.weight`, [C]),
    ln1Shift: reader.get(`${p}ln_1.bias`, [C]),
    qkvWeight: reader.get(`${p}attn.c_attn.weight`, [C, 3 * C], ' (Conv1D layout [in, out])'),
    qkvBias: reader.get(`${p}attn.c_attn.bias`, [3 * C]),
    attnOutWeight: reader.get(`${p}attn.c_proj.weight`, [C, C]),
    attnOutBias: reader.get(`${p}attn.c_proj.bias`, [C]),
    ln2Scale: reader.get(`${p}ln_2.weight`, [C]),
    ln2Shift: reader.get(`${p}ln_2.bias`, [C]),
    fcWeight: reader.get(`${p}mlp.c_fc.weight`, [C, 4 * C], ' (Conv1D layout [in, out])'),
    fcBias: reader.get(`${p}mlp.c_fc.bias`, [4 * C]),
    projWeight: reader.get(`${p}mlp.c_proj.weight`, [4 * C, C], ' (Conv1D layout [in, out])'),
    projBias: reader.get(`${p}mlp.c_proj.bias`, [C]),
  };
}

function readBookLayer(reader: TensorReader, i: number, config: Gpt2Config): Gpt2LayerWeights {
  const C = config.embDim;
  const p = `trf_blocks.${i}.`;
  const linear = ' (PyTorch Linear layout [out, in])';
  // PyTorch Linear stores [out, in]; transpose to [in, out] and put q, k, v side by side.
  const q = reader.once(`${p}att.W_query.weight`, [C, C], (w) => transpose2d(w, C, C), linear);
  const k = reader.once(`${p}att.W_key.weight`, [C, C], (w) => transpose2d(w, C, C), linear);
  const v = reader.once(`${p}att.W_value.weight`, [C, C], (w) => transpose2d(w, C, C), linear);
  const qkvWeight = new Float32Array(C * 3 * C);
  for (let r = 0; r < C; r++) {
    qkvWeight.set(q.subarray(r * C, (r + 1) * C), r * 3 * C);
    qkvWeight.set(k.subarray(r * C, (r + 1) * C), r * 3 * C + C);
    qkvWeight.set(v.subarray(r * C, (r + 1) * C), r * 3 * C + 2 * C);
  }
  let qkvBias: Float32Array | null = null;
  if (config.qkvBias) {
    qkvBias = new Float32Array(3 * C);
    qkvBias.set(reader.get(`${p}att.W_query.bias`, [C]), 0);
    qkvBias.set(reader.get(`${p}att.W_key.bias`, [C]), C);
    qkvBias.set(reader.get(`${p}att.W_value.bias`, [C]), 2 * C);
  }
  return {
    ln1Scale: reader.get(`${p}norm1.scale`, [C]),
    ln1Shift: reader.get(`${p}norm1.shift`, [C]),
    qkvWeight,
    qkvBias,
    attnOutWeight: reader.once(`${p}att.out_proj.weight`, [C, C], (w) => transpose2d(w, C, C), linear),
    attnOutBias: reader.get(`${p}att.out_proj.bias`, [C]),
    ln2Scale: reader.get(`${p}norm2.scale`, [C]),
    ln2Shift: reader.get(`${p}norm2.shift`, [C]),
    fcWeight: reader.once(`${p}ff.layers.0.weight`, [4 * C, C], (w) => transpose2d(w, 4 * C, C), linear),
    fcBias: reader.get(`${p}ff.layers.0.bias`, [4 * C]),
    projWeight: reader.once(`${p}ff.layers.2.weight`, [C, 4 * C], (w) => transpose2d(w, C, 4 * C), linear),
    projBias: reader.get(`${p}ff.layers.2.bias`, [C]),
  };
}

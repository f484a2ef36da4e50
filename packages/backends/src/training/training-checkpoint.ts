// GPT-2 checkpoints in and out of the trainer: Hugging Face `GPT2LMHeadModel` names (Conv1D [in, out]) or the
// book's `GPTModel` names (Linear [out, in], separate W_query/W_key/W_value), mapped to the trainer's canonical
// parameters and written back in the scheme they came in, with any untrained tensors (stored masks) kept as is.
import { readFile } from 'node:fs/promises';
import { JudgekitError } from '@judgekit/core';
import { gpt2ConfigToJson } from '../checkpoint/gpt2-config.js';
import { loadGpt2Checkpoint } from '../checkpoint/load-gpt2-checkpoint.js';
import { checkParameters, parameterSpecs, type Gpt2Parameters, type Gpt2Shape } from './gpt2-parameters.js';
import { readSafetensors, writeSafetensors, type NamedTensor } from './safetensors-file.js';

export type CheckpointNaming = 'hf' | 'book';

export interface TrainingCheckpoint {
  path: string;
  naming: CheckpointNaming;
  /** `transformer.` when HF names carry it, else ''. */
  prefix: string;
  shape: Gpt2Shape;
  parameters: Gpt2Parameters;
  /** Every tensor name of the source file, in order (untrained ones are copied back unchanged on save). */
  sourceNames: string[];
  sourceMetadata: Record<string, string>;
  /** The JSON config the shape was read from, if any. */
  configPath?: string;
}

function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c] as number;
  return out;
}

export function detectNaming(names: Iterable<string>): { naming: CheckpointNaming; prefix: string } | undefined {
  const set = new Set(names);
  if (set.has('tok_emb.weight')) return { naming: 'book', prefix: '' };
  if (set.has('wte.weight')) return { naming: 'hf', prefix: '' };
  if (set.has('transformer.wte.weight')) return { naming: 'hf', prefix: 'transformer.' };
  return undefined;
}

const BOOK_SIMPLE: Array<[string, string]> = [
  ['ln_1.weight', 'norm1.scale'],
  ['ln_1.bias', 'norm1.shift'],
  ['ln_2.weight', 'norm2.scale'],
  ['ln_2.bias', 'norm2.shift'],
  ['attn.c_proj.bias', 'att.out_proj.bias'],
  ['mlp.c_fc.bias', 'ff.layers.0.bias'],
  ['mlp.c_proj.bias', 'ff.layers.2.bias'],
];
const BOOK_TRANSPOSED: Array<[string, string]> = [
  ['attn.c_proj.weight', 'att.out_proj.weight'],
  ['mlp.c_fc.weight', 'ff.layers.0.weight'],
  ['mlp.c_proj.weight', 'ff.layers.2.weight'],
];
const BOOK_QKV = ['W_query', 'W_key', 'W_value'] as const;

/** Canonical parameters → checkpoint tensors in `naming`. */
export function toCheckpointTensors(shape: Gpt2Shape, params: Gpt2Parameters, naming: CheckpointNaming, prefix = ''): Map<string, NamedTensor> {
  const out = new Map<string, NamedTensor>();
  const param = (name: string): Float32Array => {
    const value = params.get(name);
    if (!value) throw new JudgekitError('internal', `toCheckpointTensors: missing ${name}`);
    return value;
  };
  if (naming === 'hf') {
    for (const spec of parameterSpecs(shape)) {
      const name = spec.name === 'lm_head.weight' ? spec.name : `${prefix}${spec.name}`;
      out.set(name, { shape: spec.shape, data: param(spec.name) });
    }
    return out;
  }
  const C = shape.embDim;
  out.set('tok_emb.weight', { shape: [shape.vocabSize, C], data: param('wte.weight') });
  out.set('pos_emb.weight', { shape: [shape.contextLength, C], data: param('wpe.weight') });
  for (let i = 0; i < shape.nLayers; i++) {
    const h = `h.${i}.`;
    const b = `trf_blocks.${i}.`;
    const qkv = param(`${h}attn.c_attn.weight`);
    const qkvT = transpose(qkv, C, 3 * C); // [3C, C]: rows 0..C-1 are W_query in [out, in]
    BOOK_QKV.forEach((which, j) => {
      out.set(`${b}att.${which}.weight`, { shape: [C, C], data: qkvT.slice(j * C * C, (j + 1) * C * C) });
      if (shape.qkvBias) out.set(`${b}att.${which}.bias`, { shape: [C], data: param(`${h}attn.c_attn.bias`).slice(j * C, (j + 1) * C) });
    });
    for (const [canonical, book] of BOOK_TRANSPOSED) {
      const spec = parameterSpecs(shape).find((s) => s.name === `${h}${canonical}`);
      const [rows, cols] = spec?.shape as [number, number];
      out.set(`${b}${book}`, { shape: [cols, rows], data: transpose(param(`${h}${canonical}`), rows, cols) });
    }
    for (const [canonical, book] of BOOK_SIMPLE) {
      const value = param(`${h}${canonical}`);
      out.set(`${b}${book}`, { shape: [value.length], data: value });
    }
  }
  out.set('final_norm.scale', { shape: [C], data: param('ln_f.weight') });
  out.set('final_norm.shift', { shape: [C], data: param('ln_f.bias') });
  if (!shape.tiedHead) out.set('out_head.weight', { shape: [shape.vocabSize, C], data: param('lm_head.weight') });
  return out;
}

/** Checkpoint tensors → canonical parameters (copies, so the trainer never writes into the read buffers). */
export function fromCheckpointTensors(shape: Gpt2Shape, tensors: ReadonlyMap<string, NamedTensor>, naming: CheckpointNaming, prefix = '', file = 'checkpoint'): Gpt2Parameters {
  const tensor = (name: string): NamedTensor => {
    const value = tensors.get(name);
    if (!value || value.raw) {
      throw new JudgekitError('model', `${file}: no float tensor \`${name}\` (a ${naming === 'hf' ? 'Hugging Face' : 'book-style'} GPT-2 checkpoint needs it).`, { file, location: name });
    }
    return value;
  };
  const params: Gpt2Parameters = new Map();
  if (naming === 'hf') {
    for (const spec of parameterSpecs(shape)) {
      const name = spec.name === 'lm_head.weight' ? spec.name : `${prefix}${spec.name}`;
      params.set(spec.name, tensor(name).data.slice());
    }
    return params;
  }
  const C = shape.embDim;
  params.set('wte.weight', tensor('tok_emb.weight').data.slice());
  params.set('wpe.weight', tensor('pos_emb.weight').data.slice());
  for (let i = 0; i < shape.nLayers; i++) {
    const h = `h.${i}.`;
    const b = `trf_blocks.${i}.`;
    const qkvT = new Float32Array(3 * C * C);
    const bias = new Float32Array(3 * C);
    BOOK_QKV.forEach((which, j) => {
      qkvT.set(tensor(`${b}att.${which}.weight`).data, j * C * C);
      if (shape.qkvBias) bias.set(tensor(`${b}att.${which}.bias`).data, j * C);
    });
    params.set(`${h}attn.c_attn.weight`, transpose(qkvT, 3 * C, C));
    if (shape.qkvBias) params.set(`${h}attn.c_attn.bias`, bias);
    for (const [canonical, book] of BOOK_TRANSPOSED) {
      const value = tensor(`${b}${book}`);
      const [rows, cols] = value.shape as [number, number];
      params.set(`${h}${canonical}`, transpose(value.data, rows, cols));
    }
    for (const [canonical, book] of BOOK_SIMPLE) params.set(`${h}${canonical}`, tensor(`${b}${book}`).data.slice());
  }
  params.set('ln_f.weight', tensor('final_norm.scale').data.slice());
  params.set('ln_f.bias', tensor('final_norm.shift').data.slice());
  if (!shape.tiedHead) params.set('lm_head.weight', tensor('out_head.weight').data.slice());
  return params;
}

/**
 * Read a GPT-2 safetensors checkpoint (either naming) for training, through the engine's loader (so the shape and
 * config rules are the ones inference uses). One difference: a book checkpoint always trains `out_head` as its own
 * parameter, as the book does after copying OpenAI's tied weights into it, even when its values equal `tok_emb`.
 */
export async function loadTrainingCheckpoint(path: string, options: { configPath?: string } = {}): Promise<TrainingCheckpoint> {
  const loaded = await loadGpt2Checkpoint(path, options.configPath ? { configPath: options.configPath } : {});
  const header = await readSafetensors(path, () => false);
  const { naming, prefix } = detectNaming(header.names) ?? { naming: loaded.source.naming, prefix: '' };
  const tiedHead = naming === 'book' ? !header.names.includes('out_head.weight') : loaded.config.tiedHead;
  const shape: Gpt2Shape = { ...loaded.config, tiedHead };
  const w = loaded.weights;
  const params: Gpt2Parameters = new Map();
  // Copies: the trainer updates these in place and must never write into the loader's buffers.
  params.set('wte.weight', w.tokenEmbedding.slice());
  params.set('wpe.weight', w.positionEmbedding.slice());
  w.layers.forEach((layer, i) => {
    const h = `h.${i}.`;
    params.set(`${h}ln_1.weight`, layer.ln1Scale.slice());
    params.set(`${h}ln_1.bias`, layer.ln1Shift.slice());
    params.set(`${h}attn.c_attn.weight`, layer.qkvWeight.slice());
    if (shape.qkvBias) params.set(`${h}attn.c_attn.bias`, (layer.qkvBias ?? new Float32Array(3 * shape.embDim)).slice());
    params.set(`${h}attn.c_proj.weight`, layer.attnOutWeight.slice());
    params.set(`${h}attn.c_proj.bias`, layer.attnOutBias.slice());
    params.set(`${h}ln_2.weight`, layer.ln2Scale.slice());
    params.set(`${h}ln_2.bias`, layer.ln2Shift.slice());
    params.set(`${h}mlp.c_fc.weight`, layer.fcWeight.slice());
    params.set(`${h}mlp.c_fc.bias`, layer.fcBias.slice());
    params.set(`${h}mlp.c_proj.weight`, layer.projWeight.slice());
    params.set(`${h}mlp.c_proj.bias`, layer.projBias.slice());
  });
  params.set('ln_f.weight', w.finalNormScale.slice());
  params.set('ln_f.bias', w.finalNormShift.slice());
  if (!tiedHead) params.set('lm_head.weight', w.head.slice());
  checkParameters(shape, params);
  const configPath = loaded.source.configPath;
  return { path, naming, prefix, shape, parameters: params, sourceNames: header.names, sourceMetadata: header.metadata, ...(configPath ? { configPath } : {}) };
}

/**
 * Write trained parameters as a safetensors file in the checkpoint's own naming: trained tensors replaced, every
 * other tensor of the source (e.g. stored attention masks) copied from the source file, in the source's order; a
 * tied HF head that the source stored as `lm_head.weight` is written as the trained token embedding.
 */
export async function saveTrainingCheckpoint(path: string, checkpoint: TrainingCheckpoint, params: Gpt2Parameters, metadata: Record<string, string> = {}): Promise<void> {
  const trained = toCheckpointTensors(checkpoint.shape, params, checkpoint.naming, checkpoint.prefix);
  if (checkpoint.naming === 'hf' && checkpoint.shape.tiedHead && checkpoint.sourceNames.includes('lm_head.weight')) {
    trained.set('lm_head.weight', { shape: [checkpoint.shape.vocabSize, checkpoint.shape.embDim], data: params.get('wte.weight') as Float32Array });
  }
  const untouched = checkpoint.sourceNames.some((name) => !trained.has(name))
    ? (await readSafetensors(checkpoint.path, (name) => !trained.has(name))).tensors
    : new Map<string, NamedTensor>();
  const entries: Array<[string, NamedTensor]> = [];
  for (const name of checkpoint.sourceNames) {
    const tensor = trained.get(name) ?? untouched.get(name);
    if (tensor) entries.push([name, tensor]);
  }
  for (const [name, tensor] of trained) if (!checkpoint.sourceNames.includes(name)) entries.push([name, tensor]);
  await writeSafetensors(path, entries, { format: 'pt', ...checkpoint.sourceMetadata, ...metadata });
}

/** The model config to write beside a saved checkpoint: the source's own JSON when it had one, else generated. */
export async function checkpointConfigJson(checkpoint: TrainingCheckpoint): Promise<Record<string, unknown>> {
  if (checkpoint.configPath) {
    try {
      return JSON.parse(await readFile(checkpoint.configPath, 'utf8')) as Record<string, unknown>;
    } catch {
      // Fall through to a generated config; the loader already parsed this file once, so this is unlikely.
    }
  }
  return gpt2ConfigToJson(checkpoint.shape, checkpoint.naming);
}

// GPT-2's trainable parameters to and from its checkpoints' tensors: Hugging Face `GPT2LMHeadModel` names (Conv1D
// [in, out]) or the book's `GPTModel` names (Linear [out, in], separate W_query/W_key/W_value), so trained weights
// are written back in the scheme they came in.
import { JudgekitError } from '@judgekit/core';
import type { CheckpointTarget } from '../architecture.js';
import type { NamedTensor } from '../../training/safetensors-file.js';
import type { Gpt2Naming } from './gpt2-config.js';
import { transpose2d, type LoadedGpt2 } from './load-gpt2-checkpoint.js';
import { checkParameters, parameterSpecs, type Gpt2Parameters, type Gpt2Shape } from './gpt2-parameters.js';

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
export function toCheckpointTensors(shape: Gpt2Shape, params: ReadonlyMap<string, Float32Array>, naming: Gpt2Naming, prefix = ''): Map<string, NamedTensor> {
  const param = (name: string): Float32Array => {
    const value = params.get(name);
    if (!value) throw new JudgekitError('internal', `toCheckpointTensors: missing ${name}`);
    return value;
  };
  if (naming === 'hf') {
    const out = new Map<string, NamedTensor>();
    for (const spec of parameterSpecs(shape)) {
      const name = spec.name === 'lm_head.weight' ? spec.name : `${prefix}${spec.name}`;
      out.set(name, { shape: spec.shape, data: param(spec.name) });
    }
    return out;
  }
  return toBookTensors(shape, param);
}

function toBookTensors(shape: Gpt2Shape, param: (name: string) => Float32Array): Map<string, NamedTensor> {
  const out = new Map<string, NamedTensor>();
  const C = shape.embDim;
  const specs = new Map(parameterSpecs(shape).map((spec) => [spec.name, spec.shape]));
  out.set('tok_emb.weight', { shape: [shape.vocabSize, C], data: param('wte.weight') });
  out.set('pos_emb.weight', { shape: [shape.contextLength, C], data: param('wpe.weight') });
  for (let i = 0; i < shape.nLayers; i++) {
    const h = `h.${i}.`;
    const b = `trf_blocks.${i}.`;
    const qkvT = transpose2d(param(`${h}attn.c_attn.weight`), C, 3 * C); // [3C, C]: rows 0..C-1 are W_query in [out, in]
    BOOK_QKV.forEach((which, j) => {
      out.set(`${b}att.${which}.weight`, { shape: [C, C], data: qkvT.slice(j * C * C, (j + 1) * C * C) });
      if (shape.qkvBias) out.set(`${b}att.${which}.bias`, { shape: [C], data: param(`${h}attn.c_attn.bias`).slice(j * C, (j + 1) * C) });
    });
    for (const [canonical, book] of BOOK_TRANSPOSED) {
      const [rows, cols] = specs.get(`${h}${canonical}`) as [number, number];
      out.set(`${b}${book}`, { shape: [cols, rows], data: transpose2d(param(`${h}${canonical}`), rows, cols) });
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

/**
 * Trained parameters as tensors for the source checkpoint's naming; a tied Hugging Face head that the source
 * stored as `lm_head.weight` is written as the trained token embedding.
 */
export function gpt2CheckpointTensors(shape: Gpt2Shape, params: ReadonlyMap<string, Float32Array>, target: CheckpointTarget): Map<string, NamedTensor> {
  const naming = target.naming === 'book' ? 'book' : 'hf';
  const tensors = toCheckpointTensors(shape, params, naming, target.prefix);
  if (naming === 'hf' && shape.tiedHead && target.sourceNames.includes('lm_head.weight')) {
    tensors.set('lm_head.weight', { shape: [shape.vocabSize, shape.embDim], data: params.get('wte.weight') as Float32Array });
  }
  return tensors;
}

/**
 * The trainable parameters of a loaded checkpoint, as copies (the trainer updates them in place and must never
 * write into the loader's buffers). A book checkpoint always trains `out_head` as its own parameter, as the book
 * does after copying OpenAI's tied weights into it, even when its values equal `tok_emb`.
 */
export function gpt2CheckpointParameters(loaded: LoadedGpt2, sourceNames: readonly string[]): { config: Gpt2Shape; parameters: Gpt2Parameters } {
  const tiedHead = loaded.source.naming === 'book' ? !sourceNames.includes('out_head.weight') : loaded.config.tiedHead;
  const shape: Gpt2Shape = { ...loaded.config, tiedHead };
  const w = loaded.weights;
  const params: Gpt2Parameters = new Map();
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
  return { config: shape, parameters: params };
}

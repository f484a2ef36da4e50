// Builds GPT-2 as ONNX graphs from canonical weights: a decoder with a KV cache (Hugging Face/optimum input and
// output names) and a loss graph that returns per-token NLL. Layout choices are for ONNX Runtime's CPU
// MatMul: weights stored [in, out] so they are prepacked once, Q/K/V fused into one MatMul, heads batched as
// [batch, heads, seq, head_dim] MatMuls, the attention scale folded into the query weights, one attention bias
// shared by all layers, and the output head applied as Gemm(transB) so a tied head shares the embedding matrix.
import { OnnxDataType, OnnxGraphBuilder } from '../../onnx/graph-builder.js';
import type { GraphBuildOptions, ModelGraphKind } from '../architecture.js';
import { newKeyName, newValueName, pastKeyName, pastValueName, presentKeyName, presentValueName } from '../decoder-io-names.js';
import { GPT2_MODEL_TYPE, type Gpt2Config } from './gpt2-config.js';
import type { Gpt2LayerWeights, Gpt2Weights, LoadedGpt2 } from './load-gpt2-checkpoint.js';

/** Added to masked attention scores. Finite, so fully masked (padding) rows stay finite. */
const MASK_VALUE = -1e9;

export interface DecoderGraphOptions {
  /** Only the last position's logits ([batch, 1, vocab]): what generation needs, without [B, T, V] prefill output. */
  lastLogitsOnly?: boolean;
}

/**
 * `decoder-slots` is judgekit's own generation graph (see `buildGpt2SlotDecoderGraph`); `decoder` and
 * `decoder-last` keep optimum's interface for other tools.
 */
export type Gpt2GraphKind = ModelGraphKind;

interface Trunk {
  b: OnnxGraphBuilder;
  config: Gpt2Config;
  eps: number;
}

function metadata(b: OnnxGraphBuilder, model: LoadedGpt2, kind: Gpt2GraphKind): void {
  const c = model.config;
  b.setMetadata('judgekit.kind', kind);
  b.setMetadata('judgekit.model_type', GPT2_MODEL_TYPE);
  b.setMetadata('judgekit.config', JSON.stringify(c));
  b.setMetadata('judgekit.layer_norm_epsilon', String(model.layerNormEpsilon));
}

function embeddings(t: Trunk, weights: Gpt2Weights): { wte: string; wpe: string; head: string } {
  const { b, config } = t;
  const C = config.embDim;
  const wte = b.floatInitializer('wte.weight', [config.vocabSize, C], weights.tokenEmbedding);
  const wpe = b.floatInitializer('wpe.weight', [config.contextLength, C], weights.positionEmbedding);
  const head = weights.head === weights.tokenEmbedding ? wte : b.floatInitializer('lm_head.weight', [config.vocabSize, C], weights.head);
  return { wte, wpe, head };
}

/** The [ctx, ctx] causal bias, sliced per call: rows are query positions, columns key positions. */
function causalBias(t: Trunk): string {
  const n = t.config.contextLength;
  const data = new Float32Array(n * n);
  for (let i = 0; i < n; i++) data.fill(MASK_VALUE, i * n + i + 1, (i + 1) * n);
  return t.b.floatInitializer('causal_bias', [n, n], data);
}

function layerNorm(t: Trunk, x: string, scale: Float32Array, shift: Float32Array, name: string): string {
  const s = t.b.floatInitializer(`${name}.weight`, [t.config.embDim], scale);
  const h = t.b.floatInitializer(`${name}.bias`, [t.config.embDim], shift);
  return t.b.op('LayerNormalization', [x, s, h], { axis: -1, epsilon: { float: t.eps } }, name);
}

function linear(t: Trunk, x: string, weight: Float32Array, bias: Float32Array | null, dims: [number, number], name: string): string {
  const w = t.b.floatInitializer(`${name}.weight`, dims, weight);
  const y = t.b.op('MatMul', [x, w], undefined, name);
  if (!bias) return y;
  const bb = t.b.floatInitializer(`${name}.bias`, [dims[1]], bias);
  return t.b.op('Add', [y, bb], undefined, name);
}

/** tanh-approximate GELU in the form ONNX Runtime's FastGeluFusion recognises. */
function gelu(t: Trunk, x: string): string {
  const { b } = t;
  const cube = b.op('Pow', [x, b.floatConstant([3])]);
  const inner = b.op('Add', [x, b.op('Mul', [cube, b.floatConstant([0.044715])])]);
  const th = b.op('Tanh', [b.op('Mul', [inner, b.floatConstant([Math.sqrt(2 / Math.PI)])])]);
  return b.op('Mul', [b.op('Mul', [x, b.floatConstant([0.5])]), b.op('Add', [th, b.floatConstant([1])])]);
}

/** Fold 1/sqrt(head_dim) into the query columns so attention needs no extra scaling op. */
function scaledQkv(weight: Float32Array, bias: Float32Array | null, C: number, headDim: number): { weight: Float32Array; bias: Float32Array | null } {
  const scale = 1 / Math.sqrt(headDim);
  const w = weight.slice();
  for (let r = 0; r < C; r++) for (let c = 0; c < C; c++) w[r * 3 * C + c]! *= scale;
  let bb: Float32Array | null = null;
  if (bias) {
    bb = bias.slice();
    for (let c = 0; c < C; c++) bb[c]! *= scale;
  }
  return { weight: w, bias: bb };
}

interface AttentionIo {
  /** Additive bias broadcastable to [batch, heads, seq, keys]. */
  bias: string;
  past?: { key: string; value: string; presentKey: string; presentValue: string };
  /**
   * Slot cache: `bias` covers the past slots only ([batch, 1, 1, slots]); `newBias` the step's own tokens
   * ([batch, 1, seq, seq]). The step's keys and values are graph outputs, never concatenated with the past.
   */
  slots?: { key: string; value: string; count: string; newKey: string; newValue: string; newBias: string };
  /**
   * Causal self-attention over the step's own tokens by ONNX Runtime's CPU contrib kernel (`com.microsoft`
   * Attention, unidirectional): the QKV product, per-head scores, causal mask, softmax and the weighted sum in one
   * node, with no [batch, heads, seq, seq] tensors between separate kernels and no head transposes. `bias` is unused
   * (the loss graph passes '').
   */
  fused?: boolean;
}

function block(t: Trunk, h: string, weights: Gpt2Weights, layer: number, io: AttentionIo): string {
  const { b, config } = t;
  const C = config.embDim;
  const H = config.nHeads;
  const D = C / H;
  const w = weights.layers[layer]!;
  const p = `h.${layer}`;
  const x1 = layerNorm(t, h, w.ln1Scale, w.ln1Shift, `${p}.ln_1`);
  const qkvW = scaledQkv(w.qkvWeight, w.qkvBias, C, D);
  if (io.fused) {
    const weight = b.floatInitializer(`${p}.attn.qkv.weight`, [C, 3 * C], qkvW.weight);
    const bias = b.floatInitializer(`${p}.attn.qkv.bias`, [3 * C], qkvW.bias ?? new Float32Array(3 * C));
    // scale 1: 1/sqrt(head_dim) is already folded into the query columns.
    const context = b.node('Attention', [x1, weight, bias], { attributes: { num_heads: H, unidirectional: 1, scale: { float: 1 } }, domain: 'com.microsoft', stem: `${p}.attn` })[0]!;
    return mlpAndResidual(t, h, w, p, context);
  }
  const qkv = linear(t, x1, qkvW.weight, qkvW.bias, [C, 3 * C], `${p}.attn.qkv`);
  const [q, k, v] = b.node('Split', [qkv, b.int64Constant([C, C, C], 'split')], { attributes: { axis: 2 }, outputs: 3, stem: `${p}.split` }) as [string, string, string];
  const heads = b.int64Constant([0, 0, H, D], 'heads_shape');
  const q4 = b.op('Transpose', [b.op('Reshape', [q, heads])], { perm: [0, 2, 1, 3] }, `${p}.q`);
  let v4 = b.op('Transpose', [b.op('Reshape', [v, heads])], { perm: [0, 2, 1, 3] }, `${p}.v`);
  if (io.slots) {
    // Scores against the past slots and against the step's own tokens, one softmax over both, then the two
    // weighted sums added: the big past tensors are only read, so nothing of size [batch, heads, slots, head_dim]
    // is copied or returned per step.
    const s = io.slots;
    const k4 = b.node('Transpose', [b.op('Reshape', [k, heads])], { attributes: { perm: [0, 2, 1, 3] }, outputs: [s.newKey] })[0]!;
    v4 = b.node('Transpose', [b.op('Reshape', [v, heads])], { attributes: { perm: [0, 2, 1, 3] }, outputs: [s.newValue] })[0]!;
    const pastScores = b.op('Add', [b.op('MatMul', [q4, b.op('Transpose', [s.key], { perm: [0, 1, 3, 2] })], undefined, `${p}.past_scores`), io.bias]);
    const newScores = b.op('Add', [b.op('MatMul', [q4, b.op('Transpose', [k4], { perm: [0, 1, 3, 2] })], undefined, `${p}.new_scores`), s.newBias]);
    const probs = b.op('Softmax', [b.op('Concat', [pastScores, newScores], { axis: 3 })], { axis: -1 }, `${p}.probs`);
    const axis3 = b.int64Constant([3], 'axis3');
    const pastProbs = b.op('Slice', [probs, b.int64Constant([0], 'zero'), s.count, axis3]);
    const newProbs = b.op('Slice', [probs, s.count, b.int64Constant([2 ** 31 - 1], 'end'), axis3]);
    const mixed = b.op('Add', [b.op('MatMul', [pastProbs, s.value]), b.op('MatMul', [newProbs, v4])]);
    return mlpAndResidual(t, h, w, p, mergeHeads(t, mixed));
  }
  let kT: string;
  if (io.past) {
    const k4 = b.op('Transpose', [b.op('Reshape', [k, heads])], { perm: [0, 2, 1, 3] }, `${p}.k`);
    const presentK = b.node('Concat', [io.past.key, k4], { attributes: { axis: 2 }, outputs: [io.past.presentKey] })[0]!;
    v4 = b.node('Concat', [io.past.value, v4], { attributes: { axis: 2 }, outputs: [io.past.presentValue] })[0]!;
    kT = b.op('Transpose', [presentK], { perm: [0, 1, 3, 2] }, `${p}.kT`);
  } else {
    kT = b.op('Transpose', [b.op('Reshape', [k, heads])], { perm: [0, 2, 3, 1] }, `${p}.kT`);
  }
  const scores = b.op('Add', [b.op('MatMul', [q4, kT], undefined, `${p}.scores`), io.bias]);
  const probs = b.op('Softmax', [scores], { axis: -1 }, `${p}.probs`);
  return mlpAndResidual(t, h, w, p, mergeHeads(t, b.op('MatMul', [probs, v4])));
}

/** The attention's per-head context [batch, heads, seq, head_dim] as [batch, seq, heads x head_dim]. */
function mergeHeads(t: Trunk, perHead: string): string {
  const context = t.b.op('Transpose', [perHead], { perm: [0, 2, 1, 3] });
  return t.b.op('Reshape', [context, t.b.int64Constant([0, 0, t.config.embDim], 'merge_shape')]);
}

/** From the attention's context [batch, seq, C] to the block's output. */
function mlpAndResidual(t: Trunk, h: string, w: Gpt2LayerWeights, p: string, merged: string): string {
  const { b } = t;
  const C = t.config.embDim;
  const attn = linear(t, merged, w.attnOutWeight, w.attnOutBias, [C, C], `${p}.attn.c_proj`);
  const h1 = b.op('Add', [h, attn], undefined, `${p}.resid1`);
  const x2 = layerNorm(t, h1, w.ln2Scale, w.ln2Shift, `${p}.ln_2`);
  const fc = linear(t, x2, w.fcWeight, w.fcBias, [C, 4 * C], `${p}.mlp.c_fc`);
  const proj = linear(t, gelu(t, fc), w.projWeight, w.projBias, [4 * C, C], `${p}.mlp.c_proj`);
  return b.op('Add', [h1, proj], undefined, `${p}.resid2`);
}

/** hidden [B, T, C] -> logits [B*T, V] via Gemm with the [V, C] head transposed in place. */
function headLogits2d(t: Trunk, hidden: string, head: string): string {
  const flat = t.b.op('Reshape', [hidden, t.b.int64Constant([-1, t.config.embDim], 'flat_shape')]);
  return t.b.op('Gemm', [flat, head], { transB: 1 }, 'logits2d');
}

/** Dimension `axis` of `value` as a 1-element int64 tensor. */
function dim(b: OnnxGraphBuilder, value: string, axis: number): string {
  return b.op('Shape', [value], { start: axis, end: axis + 1 });
}

/** A decoder's inputs (optimum's names) and its embedded tokens; `maskDim`/`pastDim` name the dynamic dimensions. */
function decoderInputs(t: Trunk, model: LoadedGpt2, maskDim: string, pastDim: string) {
  const { b, config } = t;
  const H = config.nHeads;
  const D = config.embDim / H;
  const inputIds = b.input('input_ids', OnnxDataType.INT64, ['batch_size', 'sequence_length']);
  const mask = b.input('attention_mask', OnnxDataType.INT64, ['batch_size', maskDim]);
  const positions = b.input('position_ids', OnnxDataType.INT64, ['batch_size', 'sequence_length']);
  const pasts: { key: string; value: string }[] = [];
  for (let i = 0; i < config.nLayers; i++) {
    pasts.push({
      key: b.input(pastKeyName(i), OnnxDataType.FLOAT, ['batch_size', H, pastDim, D]),
      value: b.input(pastValueName(i), OnnxDataType.FLOAT, ['batch_size', H, pastDim, D]),
    });
  }
  const weights = embeddings(t, model.weights);
  const h = b.op('Add', [b.op('Gather', [weights.wte, inputIds], { axis: 0 }, 'tok'), b.op('Gather', [weights.wpe, positions], { axis: 0 }, 'pos')], undefined, 'embed');
  return { inputIds, mask, pasts, h, head: weights.head, causal: causalBias(t), H, D };
}

/**
 * The decoder: inputs `input_ids`, `attention_mask`, `position_ids` (int64) and `past_key_values.{i}.key|value`
 * (float [batch, heads, past, head_dim]); outputs `logits` ([batch, seq, vocab], or [batch, 1, vocab] with
 * lastLogitsOnly) and `present.{i}.key|value`. A first step passes past tensors with past = 0.
 */
export function buildGpt2DecoderGraph(model: LoadedGpt2, options: DecoderGraphOptions = {}): OnnxGraphBuilder {
  const b = new OnnxGraphBuilder(options.lastLogitsOnly ? 'gpt2_decoder_last' : 'gpt2_decoder', 17);
  const config = model.config;
  const t: Trunk = { b, config, eps: model.layerNormEpsilon };
  metadata(b, model, options.lastLogitsOnly ? 'decoder-last' : 'decoder');
  const { inputIds, mask, pasts, head, causal, H, D, ...embedded } = decoderInputs(t, model, 'total_sequence_length', 'past_sequence_length');
  let h = embedded.h;
  // Attention bias [batch, 1, seq, past+seq]: causal rows past..past+seq of the [ctx, ctx] table, plus padding.
  const past = dim(b, pasts[0]!.key, 2);
  const seq = dim(b, inputIds, 1);
  const total = b.op('Add', [past, seq]);
  const zero = b.int64Constant([0], 'zero');
  const causalRows = b.op('Slice', [causal, b.op('Concat', [past, zero], { axis: 0 }), b.op('Concat', [total, total], { axis: 0 }), b.int64Constant([0, 1], 'axes01')]);
  const maskF = b.op('Cast', [mask], { to: OnnxDataType.FLOAT });
  const padding = b.op('Mul', [b.op('Sub', [b.floatConstant([1]), maskF]), b.floatConstant([MASK_VALUE])]);
  const padding4 = b.op('Unsqueeze', [padding, b.int64Constant([1, 2], 'axes12')]);
  const bias = b.op('Add', [causalRows, padding4], undefined, 'attn_bias');
  for (let i = 0; i < config.nLayers; i++) {
    h = block(t, h, model.weights, i, {
      bias,
      past: { key: pasts[i]!.key, value: pasts[i]!.value, presentKey: presentKeyName(i), presentValue: presentValueName(i) },
    });
  }
  let hf = layerNorm(t, h, model.weights.finalNormScale, model.weights.finalNormShift, 'ln_f');
  const V = config.vocabSize;
  if (options.lastLogitsOnly) {
    hf = b.op('Slice', [hf, b.int64Constant([-1], 'last'), b.int64Constant([2 ** 31 - 1], 'end'), b.int64Constant([1], 'axis1')]);
  }
  const logits2d = headLogits2d(t, hf, head);
  const outShape = b.op('Concat', [b.op('Shape', [hf], { start: 0, end: 2 }), b.int64Constant([V], 'vocab')], { axis: 0 });
  const logits = b.op('Reshape', [logits2d, outShape]);
  b.output(logits, 'logits', OnnxDataType.FLOAT, ['batch_size', options.lastLogitsOnly ? 1 : 'sequence_length', V]);
  for (let i = 0; i < config.nLayers; i++) {
    b.output(presentKeyName(i), presentKeyName(i), OnnxDataType.FLOAT, ['batch_size', H, 'total_sequence_length', D]);
    b.output(presentValueName(i), presentValueName(i), OnnxDataType.FLOAT, ['batch_size', H, 'total_sequence_length', D]);
  }
  return b;
}

/**
 * judgekit's generation graph: a decoder whose KV cache lives in caller-owned slot buffers. Inputs `input_ids`,
 * `position_ids` (int64 [batch, seq]), `attention_mask` (int64 [batch, slots + seq]: the past slots' validity, then
 * the step's own tokens') and `past_key_values.{i}.key|value` (float [batch, heads, slots, head_dim], slots >= 1;
 * unused slots are masked). Outputs the last position's `logits` [batch, 1, vocab] and `new.{i}.key|value`
 * [batch, heads, seq, head_dim], which the caller writes into its slots. Unlike optimum's interface, no step
 * returns the whole cache: on ONNX Runtime's CPU provider every returned tensor is copied into JavaScript, and for
 * a batch of 64 that copy of the full cache cost more than the step's matmuls.
 */
export function buildGpt2SlotDecoderGraph(model: LoadedGpt2): OnnxGraphBuilder {
  const b = new OnnxGraphBuilder('gpt2_decoder_slots', 17);
  const config = model.config;
  const t: Trunk = { b, config, eps: model.layerNormEpsilon };
  metadata(b, model, 'decoder-slots');
  const { inputIds, mask, pasts, head, causal, H, D, ...embedded } = decoderInputs(t, model, 'slots_plus_sequence', 'slots');
  let h = embedded.h;
  const slots = dim(b, pasts[0]!.key, 2);
  const seq = dim(b, inputIds, 1);
  const zero = b.int64Constant([0], 'zero');
  const axis1 = b.int64Constant([1], 'axis1');
  const maskF = b.op('Cast', [mask], { to: OnnxDataType.FLOAT });
  const padding = b.op('Mul', [b.op('Sub', [b.floatConstant([1]), maskF]), b.floatConstant([MASK_VALUE])]);
  const axes12 = b.int64Constant([1, 2], 'axes12');
  const pastBias = b.op('Unsqueeze', [b.op('Slice', [padding, zero, slots, axis1]), axes12], undefined, 'past_bias');
  const newPadding = b.op('Unsqueeze', [b.op('Slice', [padding, slots, b.int64Constant([2 ** 31 - 1], 'end'), axis1]), axes12]);
  const causalRows = b.op('Slice', [causal, b.int64Constant([0, 0], 'zeros2'), b.op('Concat', [seq, seq], { axis: 0 }), b.int64Constant([0, 1], 'axes01')]);
  const newBias = b.op('Add', [causalRows, newPadding], undefined, 'new_bias');
  for (let i = 0; i < config.nLayers; i++) {
    h = block(t, h, model.weights, i, {
      bias: pastBias,
      slots: { key: pasts[i]!.key, value: pasts[i]!.value, count: slots, newKey: newKeyName(i), newValue: newValueName(i), newBias },
    });
  }
  const hf = b.op('Slice', [layerNorm(t, h, model.weights.finalNormScale, model.weights.finalNormShift, 'ln_f'), b.int64Constant([-1], 'last'), b.int64Constant([2 ** 31 - 1], 'end'), axis1]);
  const V = config.vocabSize;
  const logits = b.op('Reshape', [headLogits2d(t, hf, head), b.op('Concat', [b.op('Shape', [hf], { start: 0, end: 2 }), b.int64Constant([V], 'vocab')], { axis: 0 })]);
  b.output(logits, 'logits', OnnxDataType.FLOAT, ['batch_size', 1, V]);
  for (let i = 0; i < config.nLayers; i++) {
    b.output(newKeyName(i), newKeyName(i), OnnxDataType.FLOAT, ['batch_size', H, 'sequence_length', D]);
    b.output(newValueName(i), newValueName(i), OnnxDataType.FLOAT, ['batch_size', H, 'sequence_length', D]);
  }
  return b;
}

/**
 * The loss graph: inputs `input_ids` and `targets` (int64 [batch, seq], -100 = ignore); output `nll`
 * [batch, seq], the per-token negative log-likelihood in log-sum-exp form (no LogSoftmax, which ONNX Runtime's
 * WebGPU provider runs on the CPU). Ignored targets give 0. Positions are 0..seq-1, with no padding. Built for the
 * CPU provider, its attention is ONNX Runtime's fused contrib kernel (see AttentionIo.fused); otherwise standard ops.
 */
function buildGpt2LossGraph(model: LoadedGpt2, options: GraphBuildOptions = {}): OnnxGraphBuilder {
  const b = new OnnxGraphBuilder('gpt2_loss', 17);
  const fused = options.executionProvider === 'cpu';
  if (fused) b.useOpset('com.microsoft', 1);
  const config = model.config;
  const t: Trunk = { b, config, eps: model.layerNormEpsilon };
  metadata(b, model, 'loss');
  const inputIds = b.input('input_ids', OnnxDataType.INT64, ['batch_size', 'sequence_length']);
  const targets = b.input('targets', OnnxDataType.INT64, ['batch_size', 'sequence_length']);
  const { wte, wpe, head } = embeddings(t, model.weights);
  const seq = dim(b, inputIds, 1);
  const zero = b.int64Constant([0], 'zero');
  const positions = b.op('Slice', [wpe, zero, seq, zero], undefined, 'pos');
  let h = b.op('Add', [b.op('Gather', [wte, inputIds], { axis: 0 }, 'tok'), positions], undefined, 'embed');
  // The fused kernel masks causally itself: the bias is for the standard graph only.
  const bias = fused
    ? ''
    : b.op('Slice', [causalBias(t), b.int64Constant([0, 0], 'zeros2'), b.op('Concat', [seq, seq], { axis: 0 }), b.int64Constant([0, 1], 'axes01')], undefined, 'attn_bias');
  for (let i = 0; i < config.nLayers; i++) h = block(t, h, model.weights, i, { bias, fused });
  const hf = layerNorm(t, h, model.weights.finalNormScale, model.weights.finalNormShift, 'ln_f');
  const logits = headLogits2d(t, hf, head); // [N, V]
  const flatTargets = b.op('Reshape', [targets, b.int64Constant([-1, 1], 'col_shape')]);
  const valid = b.op('GreaterOrEqual', [flatTargets, b.int64Constant([0], 'zero_scalar', [])]);
  const safeTargets = b.op('Where', [valid, flatTargets, b.int64Constant([0], 'zero_scalar', [])]);
  // Read the target logit and the max before the subtraction, so ORT can reuse the logits buffer afterwards.
  const picked = b.op('GatherElements', [logits, safeTargets], { axis: 1 }, 'picked');
  const max = b.op('ReduceMax', [logits], { axes: [1], keepdims: 1 }, 'max');
  const sumExp = b.op('ReduceSum', [b.op('Exp', [b.op('Sub', [logits, max])]), b.int64Constant([1], 'axis1')], { keepdims: 1 }, 'sumexp');
  const lse = b.op('Add', [b.op('Log', [sumExp]), max], undefined, 'lse');
  const nll = b.op('Where', [valid, b.op('Sub', [lse, picked]), b.floatConstant([0])], undefined, 'nll_flat');
  const out = b.op('Reshape', [nll, b.op('Shape', [targets])]);
  b.output(out, 'nll', OnnxDataType.FLOAT, ['batch_size', 'sequence_length']);
  return b;
}

export function buildGpt2Graph(model: LoadedGpt2, kind: Gpt2GraphKind, options: GraphBuildOptions = {}): OnnxGraphBuilder {
  if (kind === 'loss') return buildGpt2LossGraph(model, options);
  if (kind === 'decoder-slots') return buildGpt2SlotDecoderGraph(model);
  return buildGpt2DecoderGraph(model, { lastLogitsOnly: kind === 'decoder-last' });
}

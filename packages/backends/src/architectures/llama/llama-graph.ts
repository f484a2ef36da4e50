// Builds Llama as ONNX graphs from canonical parameters, with GPT-2's input/output names and KV-cache conventions
// (decoder-io-names.ts): RMSNorm, rotary position embeddings in Hugging Face's rotate-half layout computed from
// `position_ids` (theta = rope_theta), SwiGLU MLP, grouped-query attention and an optionally tied head.
//
// Layout choices: projections are stored [in, out] (MatMul directly); 1/sqrt(head_dim) is folded into the query
// weights (RoPE is linear, so scaling before it is the same); the rotary angles and the causal mask are computed
// from positions inside the graph (no [context, context] or [context, head_dim] tables, which Llama contexts of
// 8k+ would make large); grouped-query attention never copies keys or values: the G = nHeads / nKvHeads query heads
// that share a KV head are stacked along the sequence axis ([batch, kvHeads, G * seq, head_dim]) and the mask is
// tiled G times to match. The KV cache holds nKvHeads heads, post-rotary keys (as Hugging Face caches them).
import { OnnxDataType, OnnxGraphBuilder } from '../../onnx/graph-builder.js';
import type { ModelGraphKind } from '../architecture.js';
import { newKeyName, newValueName, pastKeyName, pastValueName, presentKeyName, presentValueName } from '../decoder-io-names.js';
import { LLAMA_MODEL_TYPE, type LlamaConfig } from './llama-config.js';
import type { LoadedLlama } from './load-llama-checkpoint.js';

/** Added to masked attention scores. Finite, so fully masked (padding) rows stay finite. */
const MASK_VALUE = -1e9;
const INT_END = 2 ** 31 - 1;

interface Trunk {
  b: OnnxGraphBuilder;
  config: LlamaConfig;
  params: ReadonlyMap<string, Float32Array>;
  /** `cos` and `sin` of the rotary angles, broadcastable to [batch, heads, seq, head_dim]. */
  cos: string;
  sin: string;
}

function param(t: { params: ReadonlyMap<string, Float32Array> }, name: string): Float32Array {
  const value = t.params.get(name);
  if (!value) throw new Error(`llama graph: missing parameter ${name}`);
  return value;
}

function metadata(b: OnnxGraphBuilder, model: LoadedLlama, kind: ModelGraphKind): void {
  b.setMetadata('judgekit.kind', kind);
  b.setMetadata('judgekit.model_type', LLAMA_MODEL_TYPE);
  b.setMetadata('judgekit.config', JSON.stringify(model.config));
}

/** x * rsqrt(mean(x^2) + eps) * w over the last axis, as Hugging Face's LlamaRMSNorm (in float32). */
function rmsNorm(t: Trunk, x: string, name: string): string {
  const { b } = t;
  const w = b.floatInitializer(name, [t.config.embDim], param(t, name));
  const meanSquare = b.op('ReduceMean', [b.op('Mul', [x, x])], { axes: [-1], keepdims: 1 });
  const scaled = b.op('Div', [x, b.op('Sqrt', [b.op('Add', [meanSquare, b.float(t.config.rmsNormEps)])])]);
  return b.op('Mul', [scaled, w], undefined, name.replace(/\.weight$/, ''));
}

/** x @ W (+ bias), W stored [in, out]; `scale` multiplies the weight and bias first (the query's 1/sqrt(D)). */
function linear(t: Trunk, x: string, name: string, dims: [number, number], withBias: boolean, scale = 1): string {
  const { b } = t;
  const scaled = (data: Float32Array) => (scale === 1 ? data : data.map((v) => v * scale));
  const y = b.op('MatMul', [x, b.floatInitializer(`${name}.weight`, dims, scaled(param(t, `${name}.weight`)))], undefined, name);
  if (!withBias) return y;
  return b.op('Add', [y, b.floatInitializer(`${name}.bias`, [dims[1]], scaled(param(t, `${name}.bias`)))]);
}

/** The rotary embedding's cos and sin for float positions `positions` ([..., seq]): [..., seq, head_dim]. */
function rotaryAngles(b: OnnxGraphBuilder, config: LlamaConfig, positions: string): { cos: string; sin: string } {
  const half = config.headDim / 2;
  const invFreq = Float32Array.from({ length: half }, (_, i) => 1 / config.ropeTheta ** ((2 * i) / config.headDim));
  const freqs = b.op('Mul', [b.op('Unsqueeze', [positions, b.int64([-1])]), b.floatInitializer('rope.inv_freq', [half], invFreq)], undefined, 'rope_freqs');
  const angles = b.op('Concat', [freqs, freqs], { axis: -1 }, 'rope_angles');
  return { cos: b.op('Cos', [angles], undefined, 'rope_cos'), sin: b.op('Sin', [angles], undefined, 'rope_sin') };
}

/** x * cos + rotate_half(x) * sin, rotate_half(x) = [-x2, x1] for x = [x1, x2] halves of head_dim. */
function rotate(t: Trunk, x: string, output?: string): string {
  const { b } = t;
  const half = t.config.headDim / 2;
  const [x1, x2] = b.node('Split', [x, b.int64([half, half])], { attributes: { axis: -1 }, outputs: 2, stem: 'rope_half' }) as [string, string];
  const rotated = b.op('Concat', [b.op('Neg', [x2]), x1], { axis: -1 });
  const sum = [b.op('Mul', [x, t.cos]), b.op('Mul', [rotated, t.sin])];
  return output ? b.node('Add', sum, { outputs: [output] })[0]! : b.op('Add', sum, undefined, 'roped');
}

interface AttentionIo {
  /** Additive mask [batch, 1, seq, keys] (causal + padding), or [batch, 1, 1, slots] for the slot cache's past. */
  bias: string;
  past?: { key: string; value: string; presentKey: string; presentValue: string };
  /** Slot cache (see gpt2-graph.ts): `bias` covers the past slots, `newBias` [batch, 1, seq, seq] the step's tokens. */
  slots?: { key: string; value: string; count: string; newKey: string; newValue: string; newBias: string };
}

function block(t: Trunk, h: string, layer: number, io: AttentionIo): string {
  const { b, config } = t;
  const { embDim: C, nHeads: H, nKvHeads: KV, headDim: D, intermediateSize: I } = config;
  const G = H / KV;
  const p = `layers.${layer}.`;
  const x = rmsNorm(t, h, `${p}input_layernorm.weight`);
  const bias = config.attentionBias;
  const q = linear(t, x, `${p}self_attn.q_proj`, [C, H * D], bias, 1 / Math.sqrt(D));
  const k = linear(t, x, `${p}self_attn.k_proj`, [C, KV * D], bias);
  const v = linear(t, x, `${p}self_attn.v_proj`, [C, KV * D], bias);
  const heads = (y: string, n: number) => b.op('Transpose', [b.op('Reshape', [y, b.int64([0, 0, n, D])])], { perm: [0, 2, 1, 3] });
  // [batch, kvHeads, G * seq, head_dim]: query head kv * G + g reads KV head kv, as Hugging Face's repeat_kv.
  const qGrouped = G === 1 ? rotate(t, heads(q, H)) : b.op('Reshape', [rotate(t, heads(q, H)), b.int64([0, KV, -1, D])], undefined, `${p}q_grouped`);
  const tiled = (mask: string) => (G === 1 ? mask : b.op('Tile', [mask, b.int64([1, 1, G, 1])]));
  let context: string;
  if (io.slots) {
    // As GPT-2's slot graph: scores against the past slots and the step's own tokens, one softmax over both.
    const s = io.slots;
    const k4 = rotate(t, heads(k, KV), s.newKey);
    const v4 = b.node('Transpose', [b.op('Reshape', [v, b.int64([0, 0, KV, D])])], { attributes: { perm: [0, 2, 1, 3] }, outputs: [s.newValue] })[0]!;
    const pastScores = b.op('Add', [b.op('MatMul', [qGrouped, b.op('Transpose', [s.key], { perm: [0, 1, 3, 2] })]), io.bias]);
    const newScores = b.op('Add', [b.op('MatMul', [qGrouped, b.op('Transpose', [k4], { perm: [0, 1, 3, 2] })]), tiled(s.newBias)]);
    const probs = b.op('Softmax', [b.op('Concat', [pastScores, newScores], { axis: 3 })], { axis: -1 }, `${p}probs`);
    const axis3 = b.int64([3]);
    const pastProbs = b.op('Slice', [probs, b.int64([0]), s.count, axis3]);
    const newProbs = b.op('Slice', [probs, s.count, b.int64([INT_END]), axis3]);
    context = b.op('Add', [b.op('MatMul', [pastProbs, s.value]), b.op('MatMul', [newProbs, v4])]);
  } else {
    let keys = rotate(t, heads(k, KV));
    let values = heads(v, KV);
    if (io.past) {
      keys = b.node('Concat', [io.past.key, keys], { attributes: { axis: 2 }, outputs: [io.past.presentKey] })[0]!;
      values = b.node('Concat', [io.past.value, values], { attributes: { axis: 2 }, outputs: [io.past.presentValue] })[0]!;
    }
    const scores = b.op('Add', [b.op('MatMul', [qGrouped, b.op('Transpose', [keys], { perm: [0, 1, 3, 2] })], undefined, `${p}scores`), tiled(io.bias)]);
    context = b.op('MatMul', [b.op('Softmax', [scores], { axis: -1 }, `${p}probs`), values]);
  }
  const perHead = G === 1 ? context : b.op('Reshape', [context, b.int64([0, H, -1, D])]);
  const merged = b.op('Reshape', [b.op('Transpose', [perHead], { perm: [0, 2, 1, 3] }), b.int64([0, 0, H * D])]);
  const h1 = b.op('Add', [h, linear(t, merged, `${p}self_attn.o_proj`, [H * D, C], bias)], undefined, `${p}resid1`);
  const x2 = rmsNorm(t, h1, `${p}post_attention_layernorm.weight`);
  const gate = linear(t, x2, `${p}mlp.gate_proj`, [C, I], false);
  const up = linear(t, x2, `${p}mlp.up_proj`, [C, I], false);
  const swiglu = b.op('Mul', [b.op('Mul', [gate, b.op('Sigmoid', [gate])]), up], undefined, `${p}swiglu`);
  return b.op('Add', [h1, linear(t, swiglu, `${p}mlp.down_proj`, [I, C], false)], undefined, `${p}resid2`);
}

/** The token embedding and the head ([vocab, hidden]; the embedding itself when tied). */
function embeddingAndHead(b: OnnxGraphBuilder, t: { config: LlamaConfig; params: ReadonlyMap<string, Float32Array> }): { embed: string; head: string } {
  const { vocabSize: V, embDim: C } = t.config;
  const embed = b.floatInitializer('embed_tokens.weight', [V, C], param(t, 'embed_tokens.weight'));
  const head = t.config.tiedHead ? embed : b.floatInitializer('lm_head.weight', [V, C], param(t, 'lm_head.weight'));
  return { embed, head };
}

/** Final norm and head: hidden [B, T, C] -> logits [B*T, V] (Gemm with the head transposed in place). */
function headLogits2d(t: Trunk, hidden: string, head: string): string {
  const flat = t.b.op('Reshape', [rmsNorm(t, hidden, 'norm.weight'), t.b.int64([-1, t.config.embDim])]);
  return t.b.op('Gemm', [flat, head], { transB: 1 }, 'logits2d');
}

/** Dimension `axis` of `value` as an int64 scalar. */
function scalarDim(b: OnnxGraphBuilder, value: string, axis: number): string {
  return b.op('Squeeze', [b.op('Shape', [value], { start: axis, end: axis + 1 })]);
}

/** [1, 1, rows, cols] additive causal mask: key `col` is hidden from query position `first + row` when col > first + row. */
function causalMask(b: OnnxGraphBuilder, first: string, rows: string, cols: string): string {
  const one = b.int64([1], []);
  const queries = b.op('Unsqueeze', [b.op('Range', [first, b.op('Add', [first, rows]), one]), b.int64([1])]);
  const keys = b.op('Unsqueeze', [b.op('Range', [b.int64([0], []), cols, one]), b.int64([0])]);
  const masked = b.op('Where', [b.op('Greater', [keys, queries]), b.float(MASK_VALUE), b.float(0)]);
  return b.op('Unsqueeze', [masked, b.int64([0, 1])], undefined, 'causal');
}

/** attention_mask [B, N] (1 real, 0 padding) -> additive [B, N] float. */
function paddingBias(b: OnnxGraphBuilder, mask: string): string {
  return b.op('Mul', [b.op('Sub', [b.float(1), b.op('Cast', [mask], { to: OnnxDataType.FLOAT })]), b.float(MASK_VALUE)]);
}

/** A decoder's inputs (optimum's names), its embedded tokens and rotary angles from `position_ids`. */
function decoderInputs(b: OnnxGraphBuilder, model: LoadedLlama, maskDim: string, pastDim: string) {
  const config = model.config;
  const inputIds = b.input('input_ids', OnnxDataType.INT64, ['batch_size', 'sequence_length']);
  const mask = b.input('attention_mask', OnnxDataType.INT64, ['batch_size', maskDim]);
  const positions = b.input('position_ids', OnnxDataType.INT64, ['batch_size', 'sequence_length']);
  const pasts: { key: string; value: string }[] = [];
  for (let i = 0; i < config.nLayers; i++) {
    pasts.push({
      key: b.input(pastKeyName(i), OnnxDataType.FLOAT, ['batch_size', config.nKvHeads, pastDim, config.headDim]),
      value: b.input(pastValueName(i), OnnxDataType.FLOAT, ['batch_size', config.nKvHeads, pastDim, config.headDim]),
    });
  }
  const { embed, head } = embeddingAndHead(b, { config, params: model.parameters });
  const { cos, sin } = rotaryAngles(b, config, b.op('Cast', [positions], { to: OnnxDataType.FLOAT }));
  const axis1 = b.int64([1]);
  const t: Trunk = { b, config, params: model.parameters, cos: b.op('Unsqueeze', [cos, axis1]), sin: b.op('Unsqueeze', [sin, axis1]) };
  const h = b.op('Gather', [embed, inputIds], { axis: 0 }, 'embed');
  return { t, inputIds, mask, pasts, h, head };
}

function logitsOutput(t: Trunk, hidden: string, head: string, lastOnly: boolean): void {
  const { b } = t;
  const V = t.config.vocabSize;
  const h = lastOnly ? b.op('Slice', [hidden, b.int64([-1]), b.int64([INT_END]), b.int64([1])]) : hidden;
  const outShape = b.op('Concat', [b.op('Shape', [h], { start: 0, end: 2 }), b.int64([V])], { axis: 0 });
  b.output(b.op('Reshape', [headLogits2d(t, h, head), outShape]), 'logits', OnnxDataType.FLOAT, ['batch_size', lastOnly ? 1 : 'sequence_length', V]);
}

/**
 * optimum's decoder interface: inputs `input_ids`, `attention_mask` [batch, past + seq], `position_ids` and
 * `past_key_values.{i}.key|value` [batch, kvHeads, past, head_dim]; outputs `logits` ([batch, seq, vocab], or
 * [batch, 1, vocab] with `lastLogitsOnly`) and `present.{i}.key|value`.
 */
export function buildLlamaDecoderGraph(model: LoadedLlama, options: { lastLogitsOnly?: boolean } = {}): OnnxGraphBuilder {
  const b = new OnnxGraphBuilder(options.lastLogitsOnly ? 'llama_decoder_last' : 'llama_decoder', 17);
  metadata(b, model, options.lastLogitsOnly ? 'decoder-last' : 'decoder');
  const { t, inputIds, mask, pasts, head, ...embedded } = decoderInputs(b, model, 'total_sequence_length', 'past_sequence_length');
  const { nLayers, nKvHeads, headDim } = model.config;
  const past = scalarDim(b, pasts[0]!.key, 2);
  const seq = scalarDim(b, inputIds, 1);
  const padding = b.op('Unsqueeze', [paddingBias(b, mask), b.int64([1, 2])]);
  const bias = b.op('Add', [causalMask(b, past, seq, b.op('Add', [past, seq])), padding], undefined, 'attn_bias');
  let h = embedded.h;
  for (let i = 0; i < nLayers; i++) {
    h = block(t, h, i, { bias, past: { key: pasts[i]!.key, value: pasts[i]!.value, presentKey: presentKeyName(i), presentValue: presentValueName(i) } });
  }
  logitsOutput(t, h, head, options.lastLogitsOnly === true);
  for (let i = 0; i < nLayers; i++) {
    b.output(presentKeyName(i), presentKeyName(i), OnnxDataType.FLOAT, ['batch_size', nKvHeads, 'total_sequence_length', headDim]);
    b.output(presentValueName(i), presentValueName(i), OnnxDataType.FLOAT, ['batch_size', nKvHeads, 'total_sequence_length', headDim]);
  }
  return b;
}

/**
 * judgekit's slot decoder (see buildGpt2SlotDecoderGraph): `attention_mask` [batch, slots + seq], past
 * [batch, kvHeads, slots, head_dim]; outputs the last position's `logits` [batch, 1, vocab] and the step's own
 * post-rotary keys and values `new.{i}.key|value` [batch, kvHeads, seq, head_dim].
 */
export function buildLlamaSlotDecoderGraph(model: LoadedLlama): OnnxGraphBuilder {
  const b = new OnnxGraphBuilder('llama_decoder_slots', 17);
  metadata(b, model, 'decoder-slots');
  const { t, inputIds, mask, pasts, head, ...embedded } = decoderInputs(b, model, 'slots_plus_sequence', 'slots');
  const { nLayers, nKvHeads, headDim } = model.config;
  const slots = b.op('Shape', [pasts[0]!.key], { start: 2, end: 3 });
  const seq = scalarDim(b, inputIds, 1);
  const axis1 = b.int64([1]);
  const axes12 = b.int64([1, 2]);
  const padding = paddingBias(b, mask);
  const pastBias = b.op('Unsqueeze', [b.op('Slice', [padding, b.int64([0]), slots, axis1]), axes12], undefined, 'past_bias');
  const newPadding = b.op('Unsqueeze', [b.op('Slice', [padding, slots, b.int64([INT_END]), axis1]), axes12]);
  const newBias = b.op('Add', [causalMask(b, b.int64([0], []), seq, seq), newPadding], undefined, 'new_bias');
  let h = embedded.h;
  for (let i = 0; i < nLayers; i++) {
    h = block(t, h, i, { bias: pastBias, slots: { key: pasts[i]!.key, value: pasts[i]!.value, count: slots, newKey: newKeyName(i), newValue: newValueName(i), newBias } });
  }
  logitsOutput(t, h, head, true);
  for (let i = 0; i < nLayers; i++) {
    b.output(newKeyName(i), newKeyName(i), OnnxDataType.FLOAT, ['batch_size', nKvHeads, 'sequence_length', headDim]);
    b.output(newValueName(i), newValueName(i), OnnxDataType.FLOAT, ['batch_size', nKvHeads, 'sequence_length', headDim]);
  }
  return b;
}

/**
 * The loss graph: inputs `input_ids` and `targets` (int64 [batch, seq], -100 = ignore); output `nll` [batch, seq] in
 * log-sum-exp form, as GPT-2's. Positions are 0..seq-1, with no padding.
 */
export function buildLlamaLossGraph(model: LoadedLlama): OnnxGraphBuilder {
  const b = new OnnxGraphBuilder('llama_loss', 17);
  metadata(b, model, 'loss');
  const config = model.config;
  const inputIds = b.input('input_ids', OnnxDataType.INT64, ['batch_size', 'sequence_length']);
  const targets = b.input('targets', OnnxDataType.INT64, ['batch_size', 'sequence_length']);
  const { embed, head } = embeddingAndHead(b, { config, params: model.parameters });
  const seq = scalarDim(b, inputIds, 1);
  const zero = b.int64([0], []);
  const positions = b.op('Cast', [b.op('Range', [zero, seq, b.int64([1], [])])], { to: OnnxDataType.FLOAT });
  const { cos, sin } = rotaryAngles(b, config, positions); // [seq, head_dim], broadcast over batch and heads
  const t: Trunk = { b, config, params: model.parameters, cos, sin };
  const bias = causalMask(b, zero, seq, seq);
  let h = b.op('Gather', [embed, inputIds], { axis: 0 }, 'embed');
  for (let i = 0; i < config.nLayers; i++) h = block(t, h, i, { bias });
  const logits = headLogits2d(t, h, head); // [N, V]
  const flatTargets = b.op('Reshape', [targets, b.int64([-1, 1])]);
  const valid = b.op('GreaterOrEqual', [flatTargets, zero]);
  const safeTargets = b.op('Where', [valid, flatTargets, zero]);
  const picked = b.op('GatherElements', [logits, safeTargets], { axis: 1 }, 'picked');
  const max = b.op('ReduceMax', [logits], { axes: [1], keepdims: 1 }, 'max');
  const sumExp = b.op('ReduceSum', [b.op('Exp', [b.op('Sub', [logits, max])]), b.int64([1])], { keepdims: 1 }, 'sumexp');
  const lse = b.op('Add', [b.op('Log', [sumExp]), max], undefined, 'lse');
  const nll = b.op('Where', [valid, b.op('Sub', [lse, picked]), b.float(0)], undefined, 'nll_flat');
  b.output(b.op('Reshape', [nll, b.op('Shape', [targets])]), 'nll', OnnxDataType.FLOAT, ['batch_size', 'sequence_length']);
  return b;
}

export function buildLlamaGraph(model: LoadedLlama, kind: ModelGraphKind): OnnxGraphBuilder {
  if (kind === 'loss') return buildLlamaLossGraph(model);
  if (kind === 'decoder-slots') return buildLlamaSlotDecoderGraph(model);
  return buildLlamaDecoderGraph(model, { lastLogitsOnly: kind === 'decoder-last' });
}

// The Llama loss and its hand-derived gradient as one ONNX graph (the GPT-2 train graph's contract, see
// gpt2/gpt2-train-graph.ts): RMSNorm, rotary embeddings in Hugging Face's rotate-half layout, causal grouped-query
// attention with optional q/k/v/o biases, the SwiGLU MLP and a tied or untied head.
//
// Inputs: every parameter (canonical names, see llama-parameters.ts), `input_ids` and `targets` (int64 [B, T];
// target -100 is ignored). Outputs: `loss` (mean cross-entropy over non-ignored targets), `count` and, with
// `backward`, `grad.<name>` for every parameter `llamaGraphHasGradient` accepts plus the two host row outputs that
// `completeLlamaEmbeddingGradients` scatters into the embedding and head gradients.
import { OnnxDataType, OnnxGraphBuilder } from '../../onnx/graph-builder.js';
import { gradientName } from '../architecture.js';
import type { LlamaConfig } from './llama-config.js';
import { llamaParameterSpecs } from './llama-parameters.js';

export interface LlamaTrainGraphOptions {
  /** Emit gradients (training); without it the graph only computes loss and count (evaluation). */
  backward: boolean;
}

/** [N, C] gradient rows of the token embedding, one per input position (row i goes to row input_ids[i]). */
export const LLAMA_TOKEN_ROWS_GRAD = 'token_rows_grad';
/** [N, C] gradient rows of the output head, one per position (row i goes to row targets[i]; zero when ignored). */
export const LLAMA_HEAD_ROWS_GRAD = 'head_rows_grad';

const EMBED = 'embed_tokens.weight';
const HEAD = 'lm_head.weight';

/** Whether the graph outputs `grad.<name>` itself (the untied token embedding is built on the host only). */
export function llamaGraphHasGradient(config: LlamaConfig, parameter: string): boolean {
  return !(parameter === EMBED && !config.tiedHead);
}

/**
 * Finish the embedding gradients on the host after a gradient run: scatter-add the token rows into the token
 * embedding's gradient (zeroed first when the head is untied, since the graph leaves it out) and the head rows into
 * the head's gradient (the token embedding when tied), skipping ignored targets.
 */
export function completeLlamaEmbeddingGradients(
  config: LlamaConfig,
  grads: ReadonlyMap<string, Float32Array>,
  ids: ArrayLike<number>,
  targets: ArrayLike<number>,
  tokenRows: Float32Array,
  headRows: Float32Array,
): void {
  const C = config.embDim;
  const embed = grads.get(EMBED) as Float32Array;
  const head = config.tiedHead ? embed : (grads.get(HEAD) as Float32Array);
  if (!config.tiedHead) embed.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const row = (ids[i] as number) * C;
    for (let c = 0; c < C; c++) embed[row + c] = (embed[row + c] as number) + (tokenRows[i * C + c] as number);
    const target = targets[i] as number;
    if (target === -100) continue;
    const headRow = target * C;
    for (let c = 0; c < C; c++) head[headRow + c] = (head[headRow + c] as number) + (headRows[i * C + c] as number);
  }
}

/** Rotary inverse frequencies theta^(-2j/D), j < D/2, as Hugging Face's default rope computes them. */
function llamaInverseFrequencies(config: LlamaConfig): Float32Array {
  const half = config.headDim / 2;
  return Float32Array.from({ length: half }, (_, j) => 1 / config.ropeTheta ** ((2 * j) / config.headDim));
}

interface RmsSaved {
  xhat: string;
  inv: string;
  weight: string;
}

/** Build the loss (and gradient) graph for a Llama config. Dimensions B and T are symbolic. */
export function buildLlamaTrainGraph(config: LlamaConfig, options: LlamaTrainGraphOptions): OnnxGraphBuilder {
  const g = new OnnxGraphBuilder(options.backward ? 'llama_train_step' : 'llama_eval_loss');
  const { embDim: C, nLayers: L, nHeads: H, nKvHeads: KV, headDim: D } = config;
  const G = H / KV;
  const bias = config.attentionBias;
  const specs = llamaParameterSpecs(config);
  for (const spec of specs) g.input(spec.name, OnnxDataType.FLOAT, spec.shape);
  const ids = g.input('input_ids', OnnxDataType.INT64, ['B', 'T']);
  const targets = g.input('targets', OnnxDataType.INT64, ['B', 'T']);

  // Dynamic shapes: [B, T] from the ids, T alone. Query heads are laid out [B, KV, G, T, D] and key/value heads
  // [B, KV, 1, T, D], so MatMul's broadcasting repeats each KV head over its G query heads (Hugging Face's repeat_kv)
  // and the backward pass sums a KV head's gradient over its group with one ReduceSum.
  const bt = g.op('Shape', [ids]);
  const t1 = g.op('Slice', [bt, g.int64([1]), g.int64([2])]);
  const btQ = g.op('Concat', [bt, g.int64([KV, G, D])], { axis: 0 });
  const btKv = g.op('Concat', [bt, g.int64([KV, 1, D])], { axis: 0 });
  const toHeads = (x: string, shape: string): string => g.transpose(g.op('Reshape', [x, shape]), [0, 2, 3, 1, 4]);
  const fromHeads = (x: string, width: number): string => g.reshape(g.transpose(x, [0, 3, 1, 2, 4]), [-1, width]);

  // Causal mask [T, T]: true where the key position is at or before the query position.
  const tScalar = g.op('Squeeze', [t1, g.int64([0])]);
  const range = g.op('Range', [g.int64([0], []), tScalar, g.int64([1], [])]);
  const allowed = g.op('LessOrEqual', [g.op('Unsqueeze', [range, g.int64([0])]), g.op('Unsqueeze', [range, g.int64([1])])]);
  const negInf = g.float(Number.NEGATIVE_INFINITY);
  const scale = g.float(1 / Math.sqrt(D));

  // Rotary tables [T, D] for positions 0..T-1: angle(t, j) = t * invFreq[j mod D/2] (the two halves repeat).
  const positions = g.op('Unsqueeze', [g.op('Cast', [range], { to: OnnxDataType.FLOAT }), g.int64([1])]);
  const invFreq = llamaInverseFrequencies(config);
  const invFreqBoth = g.floatConstant([...invFreq, ...invFreq], 'rope_inv_freq', [1, D]);
  const angles = g.mul(positions, invFreqBoth);
  const cos = g.op('Cos', [angles]);
  const sin = g.op('Sin', [angles]);
  // rotate_half(x) = cat(-x[..., D/2:], x[..., :D/2]); its transpose is -rotate_half.
  const rotateHalf = (x: string): string => {
    const [x1, x2] = g.node('Split', [x, g.int64([D / 2, D / 2])], { attributes: { axis: -1 }, outputs: 2 }) as [string, string];
    return g.op('Concat', [g.op('Neg', [x2]), x1], { axis: -1 });
  };
  const rope = (x: string): string => g.add(g.mul(x, cos), g.mul(rotateHalf(x), sin));
  const ropeBackward = (dy: string): string => g.sub(g.mul(dy, cos), rotateHalf(g.mul(dy, sin)));

  const eps = g.float(config.rmsNormEps);
  const rmsNorm = (x: string, weight: string): [string, RmsSaved] => {
    const meanSquare = g.op('ReduceMean', [g.mul(x, x)], { axes: [-1], keepdims: 1 });
    const inv = g.op('Reciprocal', [g.op('Sqrt', [g.add(meanSquare, eps)])]);
    const xhat = g.mul(x, inv);
    return [g.mul(xhat, weight), { xhat, inv, weight }];
  };
  const linear = (x: string, weight: string, biasName?: string): string => (biasName ? g.op('Gemm', [x, weight, biasName]) : g.gemm(x, weight));

  // ---- forward ----
  let x = g.reshape(g.op('Gather', [EMBED, ids], { axis: 0 }), [-1, C]);

  interface LayerSaved {
    n1: RmsSaved;
    h1: string;
    q: string;
    k: string;
    v: string;
    probs: string;
    y: string;
    n2: RmsSaved;
    h2: string;
    gate: string;
    sig: string;
    up: string;
  }
  const saved: LayerSaved[] = [];
  for (let i = 0; i < L; i++) {
    const p = `layers.${i}.`;
    const a = `${p}self_attn.`;
    const [h1, n1] = rmsNorm(x, `${p}input_layernorm.weight`);
    const biasOf = (proj: string): string | undefined => (bias ? `${a}${proj}.bias` : undefined);
    const q = rope(toHeads(linear(h1, `${a}q_proj.weight`, biasOf('q_proj')), btQ));
    const k = rope(toHeads(linear(h1, `${a}k_proj.weight`, biasOf('k_proj')), btKv));
    const v = toHeads(linear(h1, `${a}v_proj.weight`, biasOf('v_proj')), btKv);
    const scores = g.mul(g.matmul(q, g.transpose(k, [0, 1, 2, 4, 3])), scale);
    const probs = g.op('Softmax', [g.op('Where', [allowed, scores, negInf])], { axis: -1 });
    const y = fromHeads(g.matmul(probs, v), H * D);
    const x1 = g.add(x, linear(y, `${a}o_proj.weight`, biasOf('o_proj')));
    const [h2, n2] = rmsNorm(x1, `${p}post_attention_layernorm.weight`);
    const gate = g.gemm(h2, `${p}mlp.gate_proj.weight`);
    const up = g.gemm(h2, `${p}mlp.up_proj.weight`);
    const sig = g.op('Sigmoid', [gate]);
    const silu = g.mul(gate, sig);
    const act = g.mul(silu, up);
    x = g.add(x1, g.gemm(act, `${p}mlp.down_proj.weight`));
    saved.push({ n1, h1, q, k, v, probs, y, n2, h2, gate, sig, up });
  }
  const [hf, nf] = rmsNorm(x, 'norm.weight');
  const head = config.tiedHead ? EMBED : HEAD;
  const logits = g.gemm(hf, head, 0, 1);

  // Cross-entropy, mean over targets that are not -100 (PyTorch's cross_entropy(ignore_index=-100)).
  const flatTargets = g.reshape(targets, [-1]);
  const valid = g.op('Not', [g.op('Equal', [flatTargets, g.int64([-100], [])])]);
  const safeTargets = g.op('Unsqueeze', [g.op('Where', [valid, flatTargets, g.int64([0], [])]), g.int64([1])]);
  const validF = g.op('Cast', [valid], { to: OnnxDataType.FLOAT });
  const logp = g.op('LogSoftmax', [logits], { axis: -1 });
  const picked = g.reshape(g.op('GatherElements', [logp, safeTargets], { axis: 1 }), [-1]);
  const count = g.reduceSum(validF, [0]);
  const emitLoss = (): void => {
    const loss = g.div(g.op('Neg', [g.reduceSum(g.mul(picked, validF), [0])]), count);
    g.output(loss, 'loss', OnnxDataType.FLOAT, []);
    g.output(count, 'count', OnnxDataType.FLOAT, []);
  };
  if (!options.backward) {
    emitLoss();
    return g;
  }

  // ---- backward ----
  // Scheduled as the GPT-2 graph is (see the comment there): ONNX Runtime walks depth-first from the leaf nodes,
  // the leaf added last first, so the leaves (the loss, the head rows, every gradient output) are added at the end
  // in the reverse of the order they should run in: the loss (its gather before the softmax gradient's Exp, which
  // then frees the [N, V] log-probabilities), the head, then each layer's weight gradients from the last layer
  // down, so a layer's saved tensors are released as soon as its gradients are out instead of at the end of the
  // whole backward pass. Same nodes, same arithmetic: only the order changes.
  const leaves: Array<() => void> = [emitLoss];
  const grads = new Map<string, () => string>();
  const setGrad = (name: string, value: () => string): void => {
    if (grads.has(name)) throw new Error(`internal: two gradients built for ${name}`);
    grads.set(name, value);
    if (!llamaGraphHasGradient(config, name)) return;
    const spec = specs.find((candidate) => candidate.name === name);
    if (!spec) throw new Error(`internal: gradient built for ${name}, which is not a parameter`);
    leaves.push(() => g.output(value(), gradientName(name), OnnxDataType.FLOAT, spec.shape));
  };
  const colSum = (dy: string) => (): string => g.reduceSum(dy, [0]);

  // d loss / d logits = (softmax - onehot(target)) * valid / count; as in the GPT-2 graph only the softmax part is
  // formed [N, V], and the one-hot part goes to [N, C] rows: -w_i * head[t_i] here, -w_i * hf_i into head row t_i
  // on the host (completeLlamaEmbeddingGradients).
  const rowWeight = g.op('Unsqueeze', [g.div(validF, count), g.int64([1])]);
  const dSoftmax = g.mul(g.op('Exp', [logp]), rowWeight);
  setGrad(head, () => g.gemm(dSoftmax, hf, 1, 0));
  leaves.push(() => g.output(g.op('Neg', [g.mul(hf, rowWeight)]), LLAMA_HEAD_ROWS_GRAD, OnnxDataType.FLOAT, ['N', C]));
  const targetRows = g.op('Gather', [head, g.reshape(safeTargets, [-1])], { axis: 0 });
  let dx = g.sub(g.gemm(dSoftmax, head, 0, 0), g.mul(targetRows, rowWeight));

  // y = w * x * r with r = (mean(x^2) + eps)^-1/2: dw = sum(dy * xhat), dx = r * (dxhat - xhat * mean(dxhat * xhat)).
  const rmsNormBackward = (s: RmsSaved, dy: string, weightName: string): string => {
    setGrad(weightName, () => g.reduceSum(g.mul(dy, s.xhat), [0]));
    const dxhat = g.mul(dy, s.weight);
    const meanDX = g.op('ReduceMean', [g.mul(dxhat, s.xhat)], { axes: [-1], keepdims: 1 });
    return g.mul(g.sub(dxhat, g.mul(s.xhat, meanDX)), s.inv);
  };

  dx = rmsNormBackward(nf, dx, 'norm.weight');
  for (let i = L - 1; i >= 0; i--) {
    const p = `layers.${i}.`;
    const a = `${p}self_attn.`;
    const s = saved[i] as LayerSaved;
    // SwiGLU MLP: act = silu(gate) * up; silu'(z) = sig(z) * (1 + z * (1 - sig(z))). Of its [N, I] tensors the
    // gate, its sigmoid and up are kept from the forward pass; silu and act are computed again here (two [N, I]
    // tensors fewer per layer held until this point), with their Mul operands commuted so that ONNX Runtime's
    // common-subexpression elimination does not merge them back into the forward nodes (a float product is the
    // same either way round, so the bits are unchanged).
    const silu = g.mul(s.sig, s.gate);
    const act = g.mul(s.up, silu);
    const dOut = dx;
    setGrad(`${p}mlp.down_proj.weight`, () => g.gemm(act, dOut, 1, 0));
    const dAct = g.gemm(dx, `${p}mlp.down_proj.weight`, 0, 1);
    const dUp = g.mul(dAct, silu);
    const siluDeriv = g.mul(s.sig, g.add(g.float(1), g.mul(s.gate, g.sub(g.float(1), s.sig))));
    const dGate = g.mul(g.mul(dAct, s.up), siluDeriv);
    setGrad(`${p}mlp.gate_proj.weight`, () => g.gemm(s.h2, dGate, 1, 0));
    setGrad(`${p}mlp.up_proj.weight`, () => g.gemm(s.h2, dUp, 1, 0));
    const dH2 = g.add(g.gemm(dGate, `${p}mlp.gate_proj.weight`, 0, 1), g.gemm(dUp, `${p}mlp.up_proj.weight`, 0, 1));
    dx = g.add(dx, rmsNormBackward(s.n2, dH2, `${p}post_attention_layernorm.weight`));

    // Attention output projection.
    const dAttnOut = dx;
    setGrad(`${a}o_proj.weight`, () => g.gemm(s.y, dAttnOut, 1, 0));
    if (bias) setGrad(`${a}o_proj.bias`, colSum(dAttnOut));
    const dAttn = toHeads(g.gemm(dx, `${a}o_proj.weight`, 0, 1), btQ);
    // Softmax attention; K and V gradients are summed over each KV head's group of query heads.
    const dProbs = g.matmul(dAttn, g.transpose(s.v, [0, 1, 2, 4, 3]));
    const dV = g.op('ReduceSum', [g.matmul(g.transpose(s.probs, [0, 1, 2, 4, 3]), dAttn), g.int64([2])], { keepdims: 1 });
    const rowDot = g.op('ReduceSum', [g.mul(dProbs, s.probs), g.int64([-1])], { keepdims: 1 });
    const dScores = g.mul(g.mul(s.probs, g.sub(dProbs, rowDot)), scale);
    const dQ = fromHeads(ropeBackward(g.matmul(dScores, s.k)), H * D);
    const dKRot = g.op('ReduceSum', [g.matmul(g.transpose(dScores, [0, 1, 2, 4, 3]), s.q), g.int64([2])], { keepdims: 1 });
    const dK = fromHeads(ropeBackward(dKRot), KV * D);
    const dVFlat = fromHeads(dV, KV * D);
    let dH1 = '';
    for (const [proj, d] of [['q_proj', dQ], ['k_proj', dK], ['v_proj', dVFlat]] as const) {
      setGrad(`${a}${proj}.weight`, () => g.gemm(s.h1, d, 1, 0));
      if (bias) setGrad(`${a}${proj}.bias`, colSum(d));
      const back = g.gemm(d, `${a}${proj}.weight`, 0, 1);
      dH1 = dH1 ? g.add(dH1, back) : back;
    }
    dx = g.add(dx, rmsNormBackward(s.n1, dH1, `${p}input_layernorm.weight`));
  }

  // Token rows are scattered into the embedding gradient on the host: a few MB instead of a [V, C] scatter here.
  const tokenRows = dx;
  leaves.push(() => g.output(tokenRows, LLAMA_TOKEN_ROWS_GRAD, OnnxDataType.FLOAT, ['N', C]));
  for (const spec of specs) {
    if (llamaGraphHasGradient(config, spec.name) && !grads.has(spec.name)) throw new Error(`internal: no gradient built for ${spec.name}`);
  }
  for (const leaf of leaves.reverse()) leaf();
  return g;
}

// The GPT-2 loss and its hand-derived gradient as one ONNX graph, so ONNX Runtime (which has no training API in
// Node) runs the whole training step's matrix work on its fast kernels, on any execution provider.
//
// Inputs: every parameter (canonical names, see gpt2-parameters.ts), `input_ids` and `targets` (int64 [B, T];
// target -100 is ignored). Outputs: `loss` (mean cross-entropy over non-ignored targets, as PyTorch's
// cross_entropy(ignore_index=-100)), `count` (number of non-ignored targets) and, with `backward`, `grad.<name>`
// for every parameter.
import { OnnxDataType, OnnxGraphBuilder } from '../../onnx/graph-builder.js';
import { gradientName } from '../architecture.js';
import { LAYER_NORM_EPSILON } from './gpt2-config.js';
import { parameterSpecs, type Gpt2Shape } from './gpt2-parameters.js';

export { gradientName };

export const LN_EPSILON = LAYER_NORM_EPSILON;
const GELU_K = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

export interface TrainGraphOptions {
  /** Emit gradients (training); without it the graph only computes loss and count (evaluation). */
  backward: boolean;
}

interface LayerNormSaved {
  x: string;
  mean: string;
  inv: string;
  gamma: string;
}

/** [N, C] gradient rows of the token embedding, one per input position (row i goes to row input_ids[i]). */
export const TOKEN_ROWS_GRAD = 'token_rows_grad';
/** [N, C] gradient rows of the output head, one per position (row i goes to row targets[i]; zero when ignored). */
export const HEAD_ROWS_GRAD = 'head_rows_grad';

/** Whether the graph outputs `grad.<name>` itself (the untied token embedding is built on the host only). */
export function graphHasGradient(shape: Gpt2Shape, parameter: string): boolean {
  return !(parameter === 'wte.weight' && !shape.tiedHead);
}

/**
 * Finish the embedding gradients on the host after a gradient run: scatter-add the token rows into the token
 * embedding's gradient (zeroed first when the head is untied) and the head rows into the head's gradient (the
 * token embedding when tied), skipping ignored targets. `grads` holds the graph's outputs.
 */
export function completeEmbeddingGradients(
  shape: Gpt2Shape,
  grads: ReadonlyMap<string, Float32Array>,
  ids: ArrayLike<number>,
  targets: ArrayLike<number>,
  tokenRows: Float32Array,
  headRows: Float32Array,
): void {
  const C = shape.embDim;
  const wte = grads.get('wte.weight') as Float32Array;
  const head = shape.tiedHead ? wte : (grads.get('lm_head.weight') as Float32Array);
  if (!shape.tiedHead) wte.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const row = (ids[i] as number) * C;
    for (let c = 0; c < C; c++) wte[row + c] = (wte[row + c] as number) + (tokenRows[i * C + c] as number);
    const target = targets[i] as number;
    if (target === -100) continue;
    const headRow = target * C;
    for (let c = 0; c < C; c++) head[headRow + c] = (head[headRow + c] as number) + (headRows[i * C + c] as number);
  }
}

/** Build the loss (and gradient) graph for a GPT-2 shape. Dimensions B and T are symbolic. */
export function buildGpt2TrainGraph(shape: Gpt2Shape, options: TrainGraphOptions): OnnxGraphBuilder {
  const g = new OnnxGraphBuilder(options.backward ? 'gpt2_train_step' : 'gpt2_eval_loss');
  const { contextLength: P, embDim: C, nLayers: L, nHeads: H } = shape;
  const D = C / H;
  const specs = parameterSpecs(shape);
  for (const spec of specs) g.input(spec.name, OnnxDataType.FLOAT, spec.shape);
  const ids = g.input('input_ids', OnnxDataType.INT64, ['B', 'T']);
  const targets = g.input('targets', OnnxDataType.INT64, ['B', 'T']);

  // Dynamic shapes: [B, T] from the ids, T alone, and the 4-D head layouts.
  const bt = g.op('Shape', [ids]);
  const t1 = g.op('Slice', [bt, g.int64([1]), g.int64([2])]);
  const btHD = g.op('Concat', [bt, g.int64([H, D])], { axis: 0 });
  const bt3HD = g.op('Concat', [bt, g.int64([3, H, D])], { axis: 0 });
  const btC = g.op('Concat', [bt, g.int64([C])], { axis: 0 });

  // Causal mask [T, T]: true where the key position is at or before the query position.
  const tScalar = g.op('Squeeze', [t1, g.int64([0])]);
  const range = g.op('Range', [g.int64([0], []), tScalar, g.int64([1], [])]);
  const rows = g.op('Unsqueeze', [range, g.int64([1])]);
  const cols = g.op('Unsqueeze', [range, g.int64([0])]);
  const allowed = g.op('LessOrEqual', [cols, rows]);
  const negInf = g.float(Number.NEGATIVE_INFINITY);
  const scale = g.float(1 / Math.sqrt(D));

  const layerNorm = (x: string, gamma: string, beta: string): [string, LayerNormSaved] => {
    const [y, mean, inv] = g.node('LayerNormalization', [x, gamma, beta], { attributes: { axis: -1, epsilon: { float: LN_EPSILON } }, outputs: 3 }) as [string, string, string];
    return [y, { x, mean, inv, gamma }];
  };

  // ---- forward ----
  const wte = 'wte.weight';
  const tok = g.op('Gather', [wte, ids], { axis: 0 });
  const pos = g.op('Slice', [('wpe.weight'), g.int64([0]), t1, g.int64([0])]);
  let x = g.reshape(g.add(tok, pos), [-1, C]);

  interface LayerSaved {
    ln1: LayerNormSaved;
    h1: string;
    q: string;
    k: string;
    v: string;
    probs: string;
    y: string;
    ln2: LayerNormSaved;
    h2: string;
    f: string;
  }
  const saved: LayerSaved[] = [];
  for (let i = 0; i < L; i++) {
    const p = `h.${i}.`;
    const [h1, ln1] = layerNorm(x, `${p}ln_1.weight`, `${p}ln_1.bias`);
    const qkv = shape.qkvBias ? g.op('Gemm', [h1, `${p}attn.c_attn.weight`, `${p}attn.c_attn.bias`]) : g.gemm(h1, `${p}attn.c_attn.weight`);
    const qkv5 = g.op('Reshape', [qkv, bt3HD]);
    const [qs, ks, vs] = g.node('Split', [qkv5], { attributes: { axis: 2 }, outputs: 3 }) as [string, string, string];
    const squeeze = (s: string): string => g.op('Squeeze', [s, g.int64([2])]);
    const q = g.transpose(squeeze(qs), [0, 2, 1, 3]);
    const k = g.transpose(squeeze(ks), [0, 2, 1, 3]);
    const v = g.transpose(squeeze(vs), [0, 2, 1, 3]);
    const scores = g.mul(g.matmul(q, g.transpose(k, [0, 1, 3, 2])), scale);
    const masked = g.op('Where', [allowed, scores, negInf]);
    const probs = g.op('Softmax', [masked], { axis: -1 });
    const attn = g.matmul(probs, v);
    const y = g.op('Reshape', [g.transpose(attn, [0, 2, 1, 3]), g.int64([-1, C])]);
    const a = g.op('Gemm', [y, `${p}attn.c_proj.weight`, `${p}attn.c_proj.bias`]);
    const x1 = g.add(x, a);
    const [h2, ln2] = layerNorm(x1, `${p}ln_2.weight`, `${p}ln_2.bias`);
    const f = g.op('Gemm', [h2, `${p}mlp.c_fc.weight`, `${p}mlp.c_fc.bias`]);
    const cube = g.mul(g.mul(f, f), f);
    const inner = g.mul(g.add(f, g.mul(cube, g.float(GELU_C))), g.float(GELU_K));
    const tanh = g.op('Tanh', [inner]);
    const gelu = g.mul(g.mul(f, g.float(0.5)), g.add(tanh, g.float(1)));
    const m = g.op('Gemm', [gelu, `${p}mlp.c_proj.weight`, `${p}mlp.c_proj.bias`]);
    const x2 = g.add(x1, m);
    saved.push({ ln1, h1, q, k, v, probs, y, ln2, h2, f });
    x = x2;
  }
  const [hf, lnf] = layerNorm(x, 'ln_f.weight', 'ln_f.bias');
  const head = shape.tiedHead ? wte : 'lm_head.weight';
  const logits = g.gemm(hf, head, 0, 1);

  // Cross-entropy, mean over targets that are not -100.
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
  // ONNX Runtime runs a graph in the order of a depth-first walk from its leaf nodes (those whose outputs no node
  // reads: here the loss and every gradient output), taking the leaf added LAST first and running only what that
  // leaf still needs. Built in the order of the maths, the walk ran the whole dx chain through all layers before any
  // weight gradient, so every layer's activations and backward temporaries stayed alive to the end (and the loss's
  // [N, V] log-probabilities and softmax gradient with them). So the leaves are added at the end, in the reverse of
  // the order they should run in: the loss first (its gather frees the log-probabilities for the softmax gradient),
  // then the head, then each layer's weight gradients from the last layer down, so a layer's tensors are released as
  // soon as its gradients are out. Same nodes, same arithmetic, only the schedule changes.
  const leaves: Array<() => void> = [emitLoss];
  const grads = new Map<string, () => string>();
  const setGrad = (name: string, value: () => string): void => {
    grads.set(name, value);
    leaves.push(() => g.output(value(), gradientName(name), OnnxDataType.FLOAT, specs.find((spec) => spec.name === name)!.shape));
  };
  const biasGrad = (dy: string) => (): string => g.reduceSum(dy, [0]);

  // d loss / d logits = (softmax - onehot(target)) * valid / count. Only the softmax part is formed as a [N, V]
  // tensor; the one-hot part touches one element per row, so its effect on the two head products is applied to
  // [N, C] rows instead: -w_i * head[t_i] here, and -w_i * hf_i added to head row t_i on the host (see
  // completeEmbeddingGradients). A ScatterElements over [N, V] cost as much as a big matmul on the CPU.
  const rowWeight = g.op('Unsqueeze', [g.div(validF, count), g.int64([1])]);
  const dSoftmax = g.mul(g.op('Exp', [logp]), rowWeight);
  setGrad(shape.tiedHead ? 'wte.weight' : 'lm_head.weight', () => g.gemm(dSoftmax, hf, 1, 0));
  leaves.push(() => g.output(g.op('Neg', [g.mul(hf, rowWeight)]), HEAD_ROWS_GRAD, OnnxDataType.FLOAT, ['N', C]));
  const targetRows = g.op('Gather', [head, g.reshape(safeTargets, [-1])], { axis: 0 });
  let dx = g.sub(g.gemm(dSoftmax, head, 0, 0), g.mul(targetRows, rowWeight));

  const layerNormBackward = (s: LayerNormSaved, dy: string, gammaName: string, betaName: string): string => {
    const xhat = g.mul(g.sub(s.x, s.mean), s.inv);
    setGrad(gammaName, () => g.reduceSum(g.mul(dy, xhat), [0]));
    setGrad(betaName, biasGrad(dy));
    const dxhat = g.mul(dy, s.gamma);
    const meanD = g.op('ReduceMean', [dxhat], { axes: [-1], keepdims: 1 });
    const meanDX = g.op('ReduceMean', [g.mul(dxhat, xhat)], { axes: [-1], keepdims: 1 });
    return g.mul(g.sub(g.sub(dxhat, meanD), g.mul(xhat, meanDX)), s.inv);
  };

  dx = layerNormBackward(lnf, dx, 'ln_f.weight', 'ln_f.bias');
  for (let i = L - 1; i >= 0; i--) {
    const p = `h.${i}.`;
    const s = saved[i] as LayerSaved;
    // MLP. Of the GELU's [N, 4C] tensors only its input f is kept from the forward pass: f^2, tanh and the GELU
    // itself are computed again here (three [N, 4C] tensors fewer per layer held from the forward pass to this
    // point, 0.9 GB for GPT-2 small at 8 x 256). Each is written so that ONNX Runtime's common-subexpression
    // elimination does not merge it back into the forward node (which would keep that alive instead), with the
    // same bits: Pow(f, 2) is computed as f * f, and the commuted operands of an Add or Mul give the same float.
    const f2 = g.op('Pow', [s.f, g.float(2)]);
    const tanh = g.op('Tanh', [g.mul(g.add(s.f, g.mul(g.mul(f2, s.f), g.float(GELU_C))), g.float(GELU_K))]);
    const onePlusT = g.add(g.float(1), tanh);
    const gelu = g.mul(onePlusT, g.mul(g.float(0.5), s.f));
    const dOut = dx;
    setGrad(`${p}mlp.c_proj.weight`, () => g.gemm(gelu, dOut, 1, 0));
    setGrad(`${p}mlp.c_proj.bias`, biasGrad(dx));
    const dGelu = g.gemm(dx, `${p}mlp.c_proj.weight`, 0, 1);
    // d gelu / d f = 0.5 (1 + t) + 0.5 f (1 - t^2) k (1 + 3 c f^2)
    const sech2 = g.sub(g.float(1), g.mul(tanh, tanh));
    const poly = g.add(g.mul(f2, g.float(3 * GELU_C * GELU_K)), g.float(GELU_K));
    const deriv = g.mul(g.add(onePlusT, g.mul(g.mul(s.f, sech2), poly)), g.float(0.5));
    const dF = g.mul(dGelu, deriv);
    setGrad(`${p}mlp.c_fc.weight`, () => g.gemm(s.h2, dF, 1, 0));
    setGrad(`${p}mlp.c_fc.bias`, biasGrad(dF));
    const dH2 = g.gemm(dF, `${p}mlp.c_fc.weight`, 0, 1);
    dx = g.add(dx, layerNormBackward(s.ln2, dH2, `${p}ln_2.weight`, `${p}ln_2.bias`));
    // attention output projection
    const dAttnOut = dx;
    setGrad(`${p}attn.c_proj.weight`, () => g.gemm(s.y, dAttnOut, 1, 0));
    setGrad(`${p}attn.c_proj.bias`, biasGrad(dAttnOut));
    const dY = g.gemm(dx, `${p}attn.c_proj.weight`, 0, 1);
    const dAttn = g.transpose(g.op('Reshape', [dY, btHD]), [0, 2, 1, 3]);
    const dProbs = g.matmul(dAttn, g.transpose(s.v, [0, 1, 3, 2]));
    const dV = g.matmul(g.transpose(s.probs, [0, 1, 3, 2]), dAttn);
    const rowDot = g.op('ReduceSum', [g.mul(dProbs, s.probs), g.int64([-1])], { keepdims: 1 });
    const dScores = g.mul(g.mul(s.probs, g.sub(dProbs, rowDot)), scale);
    const dQ = g.matmul(dScores, s.k);
    const dK = g.matmul(g.transpose(dScores, [0, 1, 3, 2]), s.q);
    const stack = g.op('Concat', [dQ, dK, dV].map((d) => g.op('Unsqueeze', [d, g.int64([0])])), { axis: 0 });
    const dQkv = g.reshape(g.transpose(stack, [1, 3, 0, 2, 4]), [-1, 3 * C]);
    setGrad(`${p}attn.c_attn.weight`, () => g.gemm(s.h1, dQkv, 1, 0));
    if (shape.qkvBias) setGrad(`${p}attn.c_attn.bias`, biasGrad(dQkv));
    const dH1 = g.gemm(dQkv, `${p}attn.c_attn.weight`, 0, 1);
    dx = g.add(dx, layerNormBackward(s.ln1, dH1, `${p}ln_1.weight`, `${p}ln_1.bias`));
  }

  // Embeddings: positions sum over the batch and pad to the context length; token rows are scattered into the
  // token-embedding gradient on the host (completeEmbeddingGradients), a few MB instead of a [V, C] scatter here.
  const dx3 = g.op('Reshape', [dx, btC]);
  const dPos = g.reduceSum(dx3, [0]);
  const padRows = g.sub(g.int64([P]), t1);
  const pads = g.op('Concat', [g.int64([0, 0]), padRows, g.int64([0])], { axis: 0 });
  setGrad('wpe.weight', () => g.op('Pad', [dPos, pads]));
  const tokenRows = dx;
  leaves.push(() => g.output(tokenRows, TOKEN_ROWS_GRAD, OnnxDataType.FLOAT, ['N', C]));
  for (const spec of specs) {
    if (!grads.has(spec.name) && !(spec.name === 'wte.weight' && !shape.tiedHead)) throw new Error(`internal: no gradient built for ${spec.name}`);
  }
  for (const leaf of leaves.reverse()) leaf();
  return g;
}

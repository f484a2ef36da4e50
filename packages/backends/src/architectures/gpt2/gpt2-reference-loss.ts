// A plain float64 GPT-2 loss in TypeScript, written straight from the definition with no shared code with the
// ONNX graph: the oracle that the graph's loss and (through central finite differences) its gradients are
// checked against. Slow by design; for tiny test models only.
import { LN_EPSILON } from './gpt2-train-graph.js';
import type { Gpt2Shape } from './gpt2-parameters.js';

export type Float64Parameters = Map<string, Float64Array>;

export function toFloat64(params: Map<string, Float32Array>): Float64Parameters {
  return new Map([...params].map(([name, value]) => [name, Float64Array.from(value)]));
}

function get(params: Float64Parameters, name: string): Float64Array {
  const value = params.get(name);
  if (!value) throw new Error(`reference: missing ${name}`);
  return value;
}

/** out[n, j] = sum_i x[n, i] w[i, j] + b[j] (w in [in, out] layout). */
function linear(x: Float64Array, n: number, inDim: number, w: Float64Array, outDim: number, b?: Float64Array): Float64Array {
  const out = new Float64Array(n * outDim);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < outDim; j++) {
      let sum = b ? (b[j] as number) : 0;
      for (let i = 0; i < inDim; i++) sum += (x[r * inDim + i] as number) * (w[i * outDim + j] as number);
      out[r * outDim + j] = sum;
    }
  }
  return out;
}

function layerNorm(x: Float64Array, n: number, c: number, gamma: Float64Array, beta: Float64Array): Float64Array {
  const out = new Float64Array(n * c);
  for (let r = 0; r < n; r++) {
    let mean = 0;
    for (let i = 0; i < c; i++) mean += x[r * c + i] as number;
    mean /= c;
    let variance = 0;
    for (let i = 0; i < c; i++) variance += ((x[r * c + i] as number) - mean) ** 2;
    variance /= c;
    const inv = 1 / Math.sqrt(variance + LN_EPSILON);
    for (let i = 0; i < c; i++) out[r * c + i] = ((x[r * c + i] as number) - mean) * inv * (gamma[i] as number) + (beta[i] as number);
  }
  return out;
}

function gelu(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
}

/** Mean cross-entropy over targets != -100 of a GPT-2 model in float64. ids/targets are [batch, seq] row-major. */
export function referenceGpt2Loss(shape: Gpt2Shape, params: Float64Parameters, ids: ArrayLike<number>, targets: ArrayLike<number>, batch: number, seq: number): number {
  const { embDim: C, nHeads: H, vocabSize: V } = shape;
  const D = C / H;
  const n = batch * seq;
  const wte = get(params, 'wte.weight');
  const wpe = get(params, 'wpe.weight');
  let x = new Float64Array(n * C);
  for (let r = 0; r < n; r++) {
    const id = ids[r] as number;
    const t = r % seq;
    for (let i = 0; i < C; i++) x[r * C + i] = (wte[id * C + i] as number) + (wpe[t * C + i] as number);
  }
  for (let layer = 0; layer < shape.nLayers; layer++) {
    const p = `h.${layer}.`;
    const h1 = layerNorm(x, n, C, get(params, `${p}ln_1.weight`), get(params, `${p}ln_1.bias`));
    const qkv = linear(h1, n, C, get(params, `${p}attn.c_attn.weight`), 3 * C, shape.qkvBias ? get(params, `${p}attn.c_attn.bias`) : undefined);
    const y = new Float64Array(n * C);
    for (let b = 0; b < batch; b++) {
      for (let head = 0; head < H; head++) {
        for (let tq = 0; tq < seq; tq++) {
          const rq = b * seq + tq;
          const scores: number[] = [];
          for (let tk = 0; tk <= tq; tk++) {
            const rk = b * seq + tk;
            let dot = 0;
            for (let d = 0; d < D; d++) dot += (qkv[rq * 3 * C + head * D + d] as number) * (qkv[rk * 3 * C + C + head * D + d] as number);
            scores.push(dot / Math.sqrt(D));
          }
          const max = Math.max(...scores);
          const weights = scores.map((s) => Math.exp(s - max));
          const total = weights.reduce((a, w) => a + w, 0);
          for (let d = 0; d < D; d++) {
            let sum = 0;
            for (let tk = 0; tk <= tq; tk++) sum += ((weights[tk] as number) / total) * (qkv[(b * seq + tk) * 3 * C + 2 * C + head * D + d] as number);
            y[rq * C + head * D + d] = sum;
          }
        }
      }
    }
    const a = linear(y, n, C, get(params, `${p}attn.c_proj.weight`), C, get(params, `${p}attn.c_proj.bias`));
    const x1 = x.map((v, i) => v + (a[i] as number));
    const h2 = layerNorm(x1, n, C, get(params, `${p}ln_2.weight`), get(params, `${p}ln_2.bias`));
    const f = linear(h2, n, C, get(params, `${p}mlp.c_fc.weight`), 4 * C, get(params, `${p}mlp.c_fc.bias`)).map(gelu);
    const m = linear(f, n, 4 * C, get(params, `${p}mlp.c_proj.weight`), C, get(params, `${p}mlp.c_proj.bias`));
    x = x1.map((v, i) => v + (m[i] as number));
  }
  const hf = layerNorm(x, n, C, get(params, 'ln_f.weight'), get(params, 'ln_f.bias'));
  const head = shape.tiedHead ? wte : get(params, 'lm_head.weight');
  let total = 0;
  let count = 0;
  for (let r = 0; r < n; r++) {
    const target = targets[r] as number;
    if (target === -100) continue;
    const logits = new Float64Array(V);
    for (let v = 0; v < V; v++) {
      let sum = 0;
      for (let i = 0; i < C; i++) sum += (hf[r * C + i] as number) * (head[v * C + i] as number);
      logits[v] = sum;
    }
    let max = -Infinity;
    for (const l of logits) max = Math.max(max, l);
    let z = 0;
    for (const l of logits) z += Math.exp(l - max);
    total += -((logits[target] as number) - max - Math.log(z));
    count += 1;
  }
  return total / count;
}

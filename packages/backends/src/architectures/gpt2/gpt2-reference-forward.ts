// A plain TypeScript GPT-2 forward pass (float64 accumulation), the ground truth the ONNX graphs are tested
// against. Slow by design: only for tiny test models.
import type { LoadedGpt2 } from './load-gpt2-checkpoint.js';

function layerNorm(x: Float64Array, scale: Float32Array, shift: Float32Array, eps: number): Float64Array {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i]!;
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (x[i]! - mean) ** 2;
  variance /= n;
  const inv = 1 / Math.sqrt(variance + eps);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = (x[i]! - mean) * inv * scale[i]! + shift[i]!;
  return out;
}

/** x [in] times W [in, out] plus bias. */
function matVec(x: Float64Array, w: Float32Array, bias: Float32Array | null, inDim: number, outDim: number): Float64Array {
  const out = new Float64Array(outDim);
  if (bias) for (let j = 0; j < outDim; j++) out[j] = bias[j]!;
  for (let i = 0; i < inDim; i++) {
    const xi = x[i]!;
    const row = i * outDim;
    for (let j = 0; j < outDim; j++) out[j]! += xi * w[row + j]!;
  }
  return out;
}

export function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
}

/** Logits [seq, vocab] for one unpadded sequence starting at position 0. */
export function referenceLogits(model: LoadedGpt2, ids: readonly number[]): Float64Array[] {
  const { config, weights } = model;
  const C = config.embDim;
  const H = config.nHeads;
  const D = C / H;
  const T = ids.length;
  let h: Float64Array[] = ids.map((id, t) => {
    const row = new Float64Array(C);
    for (let c = 0; c < C; c++) row[c] = weights.tokenEmbedding[id * C + c]! + weights.positionEmbedding[t * C + c]!;
    return row;
  });
  for (const w of weights.layers) {
    const qkv = h.map((x) => matVec(layerNorm(x, w.ln1Scale, w.ln1Shift, model.layerNormEpsilon), w.qkvWeight, w.qkvBias, C, 3 * C));
    const attended = h.map(() => new Float64Array(C));
    for (let head = 0; head < H; head++) {
      for (let t = 0; t < T; t++) {
        const scores: number[] = [];
        for (let s = 0; s <= t; s++) {
          let dot = 0;
          for (let d = 0; d < D; d++) dot += qkv[t]![head * D + d]! * qkv[s]![C + head * D + d]!;
          scores.push(dot / Math.sqrt(D));
        }
        const max = Math.max(...scores);
        const exps = scores.map((v) => Math.exp(v - max));
        const sum = exps.reduce((a, b) => a + b, 0);
        for (let s = 0; s <= t; s++) {
          const p = exps[s]! / sum;
          for (let d = 0; d < D; d++) attended[t]![head * D + d]! += p * qkv[s]![2 * C + head * D + d]!;
        }
      }
    }
    h = h.map((x, t) => {
      const a = matVec(attended[t]!, w.attnOutWeight, w.attnOutBias, C, C);
      const h1 = x.map((v, c) => v + a[c]!);
      const f = matVec(layerNorm(h1, w.ln2Scale, w.ln2Shift, model.layerNormEpsilon), w.fcWeight, w.fcBias, C, 4 * C).map(geluTanh);
      const m = matVec(f, w.projWeight, w.projBias, 4 * C, C);
      return h1.map((v, c) => v + m[c]!);
    });
  }
  return h.map((x) => {
    const y = layerNorm(x, weights.finalNormScale, weights.finalNormShift, model.layerNormEpsilon);
    const logits = new Float64Array(config.vocabSize);
    for (let v = 0; v < config.vocabSize; v++) {
      let dot = 0;
      for (let c = 0; c < C; c++) dot += y[c]! * weights.head[v * C + c]!;
      logits[v] = dot;
    }
    return logits;
  });
}

/** -log softmax(logits)[target], in float64. */
export function referenceNll(logits: Float64Array, target: number): number {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  return Math.log(sum) + max - logits[target]!;
}

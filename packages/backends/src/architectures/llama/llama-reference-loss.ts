// A plain float64 Llama loss in TypeScript, written from Hugging Face's LlamaForCausalLM with no code shared with
// the ONNX graph (per-head loops, query head h reading KV head floor(h / G), rotary angles per position and pair):
// the oracle that the train graph's loss and, through central finite differences, its gradients are checked
// against. Slow by design; for tiny test models only.
import type { LlamaConfig } from './llama-config.js';

export type LlamaFloat64Parameters = Map<string, Float64Array>;

export function llamaParametersToFloat64(params: ReadonlyMap<string, Float32Array>): LlamaFloat64Parameters {
  return new Map([...params].map(([name, value]) => [name, Float64Array.from(value)]));
}

function get(params: LlamaFloat64Parameters, name: string): Float64Array {
  const value = params.get(name);
  if (!value) throw new Error(`Llama reference loss: missing parameter ${name}`);
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

function rmsNorm(x: Float64Array, n: number, c: number, weight: Float64Array, eps: number): Float64Array {
  const out = new Float64Array(n * c);
  for (let r = 0; r < n; r++) {
    let squares = 0;
    for (let i = 0; i < c; i++) squares += (x[r * c + i] as number) ** 2;
    const inv = 1 / Math.sqrt(squares / c + eps);
    for (let i = 0; i < c; i++) out[r * c + i] = (weight[i] as number) * (x[r * c + i] as number) * inv;
  }
  return out;
}

/** Rotate one head's vector at `offset` in place for position `t`: HF's q * cos + rotate_half(q) * sin. */
function rotate(v: Float64Array, offset: number, t: number, headDim: number, theta: number): void {
  const half = headDim / 2;
  for (let j = 0; j < half; j++) {
    const angle = t / theta ** ((2 * j) / headDim);
    const a = v[offset + j] as number;
    const b = v[offset + j + half] as number;
    v[offset + j] = a * Math.cos(angle) - b * Math.sin(angle);
    v[offset + j + half] = b * Math.cos(angle) + a * Math.sin(angle);
  }
}

/** Mean cross-entropy over targets != -100 of a Llama model in float64. ids/targets are [batch, seq] row-major. */
export function referenceLlamaLoss(config: LlamaConfig, params: LlamaFloat64Parameters, ids: ArrayLike<number>, targets: ArrayLike<number>, batch: number, seq: number): number {
  const { embDim: C, nHeads: H, nKvHeads: KV, headDim: D, vocabSize: V, intermediateSize: I, rmsNormEps: eps } = config;
  const group = H / KV;
  const n = batch * seq;
  const embed = get(params, 'embed_tokens.weight');
  let x = new Float64Array(n * C);
  for (let r = 0; r < n; r++) x.set(embed.subarray((ids[r] as number) * C, ((ids[r] as number) + 1) * C), r * C);
  for (let layer = 0; layer < config.nLayers; layer++) {
    const p = `layers.${layer}.`;
    const a = `${p}self_attn.`;
    const b = (name: string): Float64Array | undefined => (config.attentionBias ? get(params, `${a}${name}.bias`) : undefined);
    const h1 = rmsNorm(x, n, C, get(params, `${p}input_layernorm.weight`), eps);
    const q = linear(h1, n, C, get(params, `${a}q_proj.weight`), H * D, b('q_proj'));
    const k = linear(h1, n, C, get(params, `${a}k_proj.weight`), KV * D, b('k_proj'));
    const v = linear(h1, n, C, get(params, `${a}v_proj.weight`), KV * D, b('v_proj'));
    for (let r = 0; r < n; r++) {
      const t = r % seq;
      for (let h = 0; h < H; h++) rotate(q, r * H * D + h * D, t, D, config.ropeTheta);
      for (let h = 0; h < KV; h++) rotate(k, r * KV * D + h * D, t, D, config.ropeTheta);
    }
    const y = new Float64Array(n * H * D);
    const scores = new Float64Array(seq);
    for (let bi = 0; bi < batch; bi++) {
      for (let h = 0; h < H; h++) {
        const kvHead = Math.floor(h / group);
        for (let t = 0; t < seq; t++) {
          const qOffset = (bi * seq + t) * H * D + h * D;
          let max = Number.NEGATIVE_INFINITY;
          for (let s = 0; s <= t; s++) {
            const kOffset = (bi * seq + s) * KV * D + kvHead * D;
            let dot = 0;
            for (let d = 0; d < D; d++) dot += (q[qOffset + d] as number) * (k[kOffset + d] as number);
            scores[s] = dot / Math.sqrt(D);
            max = Math.max(max, scores[s] as number);
          }
          let total = 0;
          for (let s = 0; s <= t; s++) {
            scores[s] = Math.exp((scores[s] as number) - max);
            total += scores[s] as number;
          }
          for (let s = 0; s <= t; s++) {
            const vOffset = (bi * seq + s) * KV * D + kvHead * D;
            const weight = (scores[s] as number) / total;
            for (let d = 0; d < D; d++) y[qOffset + d] = (y[qOffset + d] as number) + weight * (v[vOffset + d] as number);
          }
        }
      }
    }
    const o = linear(y, n, H * D, get(params, `${a}o_proj.weight`), C, b('o_proj'));
    const x1 = x.map((value, i) => value + (o[i] as number));
    const h2 = rmsNorm(x1, n, C, get(params, `${p}post_attention_layernorm.weight`), eps);
    const gate = linear(h2, n, C, get(params, `${p}mlp.gate_proj.weight`), I);
    const up = linear(h2, n, C, get(params, `${p}mlp.up_proj.weight`), I);
    const act = gate.map((z, i) => (z / (1 + Math.exp(-z))) * (up[i] as number));
    const down = linear(act, n, I, get(params, `${p}mlp.down_proj.weight`), C);
    x = x1.map((value, i) => value + (down[i] as number));
  }
  const hf = rmsNorm(x, n, C, get(params, 'norm.weight'), eps);
  const head = get(params, config.tiedHead ? 'embed_tokens.weight' : 'lm_head.weight');
  let total = 0;
  let count = 0;
  const logits = new Float64Array(V);
  for (let r = 0; r < n; r++) {
    const target = targets[r] as number;
    if (target === -100) continue;
    let max = Number.NEGATIVE_INFINITY;
    for (let w = 0; w < V; w++) {
      let dot = 0;
      for (let c = 0; c < C; c++) dot += (hf[r * C + c] as number) * (head[w * C + c] as number);
      logits[w] = dot;
      max = Math.max(max, dot);
    }
    let sum = 0;
    for (let w = 0; w < V; w++) sum += Math.exp((logits[w] as number) - max);
    total += max + Math.log(sum) - (logits[target] as number);
    count += 1;
  }
  return total / count;
}

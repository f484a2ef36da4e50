// Splits an ONNX Runtime profile's kernel time into the model's weight products, its attention products and the
// rest, with the FLOPs each product did (from the input shapes ORT records), so a benchmark can say at what rate
// each kind ran against the MatMul ceiling, measured rather than guessed. No heavy imports: its unit test reads it.

/** One node event of ORT's profile JSON. */
export interface ProfileNodeEvent {
  cat: string;
  name: string;
  ts: number;
  dur: number;
  args?: { op_name?: string; input_type_shape?: Record<string, number[]>[]; output_type_shape?: Record<string, number[]>[] };
}

export interface ProductShare {
  /** Kernel milliseconds. */
  ms: number;
  /** GFLOP computed (2 m k n per product). */
  gflop: number;
}

export interface MatmulSplit {
  /** Products with a 2-D right-hand side: the weight matrices and the output head. */
  weights: ProductShare;
  /** Products whose both sides are per-head activations: QK^T and probabilities x V. */
  attention: ProductShare;
  /**
   * ONNX Runtime's fused `com.microsoft` Attention nodes: the QKV product, QK^T and probabilities x V over the full
   * seq x seq square (its mask and softmax included in the time).
   */
  fusedAttention: ProductShare;
  /** Every other kernel (normalisation, softmax, activations, adds, copies). */
  otherMs: number;
  totalMs: number;
}

const PRODUCTS = new Set(['MatMul', 'FusedMatMul', 'Gemm']);

/** FLOPs of one product from its two input shapes; the right side may be transposed (Gemm transB, FusedMatMul). */
export function productFlops(a: readonly number[], b: readonly number[]): number {
  const k = a[a.length - 1]!;
  const m = a[a.length - 2] ?? 1;
  // The right side is [.., k, n], or [.., n, k] when the graph multiplies by its transpose.
  const n = b[b.length - 2] === k ? b[b.length - 1]! : b[b.length - 2]!;
  const leading = a.slice(0, -2).reduce((x, y) => x * y, 1);
  return 2 * leading * m * k * n;
}

/** The split of the kernel events at or after `start` (microseconds, the profile's own clock). */
export function splitMatmuls(events: readonly ProfileNodeEvent[], start: number): MatmulSplit {
  const split: MatmulSplit = { weights: { ms: 0, gflop: 0 }, attention: { ms: 0, gflop: 0 }, fusedAttention: { ms: 0, gflop: 0 }, otherMs: 0, totalMs: 0 };
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || e.ts < start) continue;
    const ms = e.dur / 1000;
    split.totalMs += ms;
    const shapes = (e.args?.input_type_shape ?? []).map((s) => Object.values(s)[0] ?? []);
    const output = Object.values(e.args?.output_type_shape?.[0] ?? {})[0];
    if (e.args?.op_name === 'Attention' && shapes[0]?.length === 3) {
      const [batch, seq, width] = shapes[0] as [number, number, number];
      split.fusedAttention.ms += ms;
      split.fusedAttention.gflop += (2 * batch * seq * width * 3 * width + 4 * batch * seq * seq * width) / 1e9;
      continue;
    }
    if (!PRODUCTS.has(e.args?.op_name ?? '') || shapes.length === 0 || (shapes.length === 1 && !output)) {
      split.otherMs += ms;
      continue;
    }
    const a = shapes[0]!;
    const b = shapes[1];
    // A weight ONNX Runtime prepacked at load is not listed among the inputs: its width is the output's last dimension.
    const kind = b === undefined || b.length === 2 ? split.weights : split.attention;
    kind.ms += ms;
    kind.gflop += (b === undefined ? 2 * a.reduce((x, y) => x * y, 1) * output![output!.length - 1]! : productFlops(a, b)) / 1e9;
  }
  return split;
}

// The loss benchmark's split of an ONNX Runtime profile into weight products, attention products and the rest
// (scripts/bench/lib/profile-matmuls.ts), on profile events shaped as ORT writes them.
import { describe, expect, it } from 'vitest';
import { productFlops, splitMatmuls, type ProfileNodeEvent } from '../../../scripts/bench/lib/profile-matmuls.ts';

const node = (op: string, ts: number, dur: number, ...shapes: number[][]): ProfileNodeEvent => ({
  cat: 'Node',
  name: `n_${op}_${ts}_kernel_time`,
  ts,
  dur,
  args: { op_name: op, input_type_shape: shapes.map((shape) => ({ float: shape })) },
});
/** A MatMul whose weight ONNX Runtime prepacked: only the activation is listed, the width is in the output. */
const prepacked = (ts: number, dur: number, input: number[], output: number[]): ProfileNodeEvent => ({
  cat: 'Node',
  name: `n_MatMul_${ts}_kernel_time`,
  ts,
  dur,
  args: { op_name: 'MatMul', input_type_shape: [{ float: input }], output_type_shape: [{ float: output }] },
});

describe('the profile split of the loss benchmark', () => {
  it('counts 2 m k n per product, over leading batch dimensions, with the right side plain or transposed', () => {
    expect(productFlops([1, 1024, 768], [768, 2304])).toBe(2 * 1024 * 768 * 2304);
    expect(productFlops([2048, 768], [50257, 768])).toBe(2 * 2048 * 768 * 50257); // Gemm transB
    expect(productFlops([2, 12, 1024, 64], [2, 12, 64, 1024])).toBe(2 * 24 * 1024 * 64 * 1024);
    expect(productFlops([32, 12, 1, 64], [32, 12, 160, 64])).toBe(2 * 384 * 64 * 160); // FusedMatMul transB
  });

  it('puts 2-D right sides with the weights, per-head products with attention, other kernels apart, and skips events before the start', () => {
    const events: ProfileNodeEvent[] = [
      node('MatMul', 5, 999_000, [1, 8, 4], [4, 6]), // before the run: not counted
      { cat: 'Session', name: 'model_run', ts: 10, dur: 9 },
      node('MatMul', 10, 2000, [1, 8, 4], [4, 6]),
      node('Gemm', 11, 1000, [8, 4], [10, 4]),
      node('MatMul', 12, 500, [1, 2, 8, 3], [1, 2, 3, 8]),
      node('FusedMatMul', 13, 500, [1, 2, 8, 3], [1, 2, 8, 3]),
      node('Softmax', 14, 3000, [1, 2, 8, 8]),
      prepacked(16, 4000, [1, 8, 6], [1, 8, 4]),
      { cat: 'Node', name: 'n_MatMul_15_fence_before', ts: 15, dur: 7 },
    ];
    const split = splitMatmuls(events, 10);
    expect(split.weights.ms).toBeCloseTo(7);
    expect(split.weights.gflop).toBeCloseTo((2 * 8 * 4 * 6 + 2 * 8 * 4 * 10 + 2 * 8 * 6 * 4) / 1e9, 15);
    expect(split.attention.ms).toBeCloseTo(1);
    expect(split.attention.gflop).toBeCloseTo((2 * 2 * 2 * 8 * 3 * 8) / 1e9, 15);
    expect(split.otherMs).toBeCloseTo(3);
    expect(split.totalMs).toBeCloseTo(11);
    expect(split.fusedAttention).toEqual({ ms: 0, gflop: 0 });
  });

  it("counts a fused Attention node's QKV product and both attention products over the full square", () => {
    const split = splitMatmuls([{ cat: 'Node', name: 'attn_kernel_time', ts: 0, dur: 2500, args: { op_name: 'Attention', input_type_shape: [{ float: [2, 16, 8] }] } }], 0);
    expect(split.fusedAttention.ms).toBeCloseTo(2.5);
    expect(split.fusedAttention.gflop).toBeCloseTo((2 * 2 * 16 * 8 * 24 + 4 * 2 * 16 * 16 * 8) / 1e9, 15);
    expect(split.otherMs).toBe(0);
  });
});

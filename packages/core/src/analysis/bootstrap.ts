// Percentile bootstrap confidence intervals, seeded so a report repeats exactly.
import { seededRandom } from '../util/seeded-random.js';

export interface BootstrapOptions {
  resamples?: number;
  seed?: number | string;
  /** Confidence level, default 0.95. */
  level?: number;
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const a = sorted[lower] as number;
  const b = sorted[upper] as number;
  return a + (b - a) * (position - lower);
}

/** CI of any statistic of resampled indices 0..n-1. */
export function bootstrapCI(
  n: number,
  statistic: (indices: Int32Array) => number,
  options: BootstrapOptions = {},
): [number, number] {
  if (n === 0) return [Number.NaN, Number.NaN];
  const resamples = options.resamples ?? 2000;
  const level = options.level ?? 0.95;
  const random = seededRandom(options.seed ?? 20240601);
  const stats: number[] = [];
  const indices = new Int32Array(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) indices[i] = Math.floor(random() * n);
    const value = statistic(indices);
    if (Number.isFinite(value)) stats.push(value);
  }
  stats.sort((a, b) => a - b);
  const alpha = (1 - level) / 2;
  return [quantile(stats, alpha), quantile(stats, 1 - alpha)];
}

/**
 * 95% (by default) percentile-bootstrap CI of the mean of `values`. The same draws and sums as `bootstrapCI` with
 * a mean statistic, without the index array and callback: every judge run computes one per model, and the
 * general path cost 35 ms for 5 models x 110 items in a cold process.
 */
export function bootstrapMeanCI(values: readonly number[], options: BootstrapOptions = {}): [number, number] {
  const n = values.length;
  if (n === 0) return [Number.NaN, Number.NaN];
  const resamples = options.resamples ?? 2000;
  const level = options.level ?? 0.95;
  const random = seededRandom(options.seed ?? 20240601);
  const stats = new Float64Array(resamples);
  let kept = 0;
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[Math.floor(random() * n)] as number;
    const value = sum / n;
    if (Number.isFinite(value)) stats[kept++] = value;
  }
  const sorted = stats.subarray(0, kept).sort();
  const alpha = (1 - level) / 2;
  return [quantile(sorted, alpha), quantile(sorted, 1 - alpha)];
}

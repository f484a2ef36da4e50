// Correlation and rank agreement: Pearson, Spearman, Kendall's tau-b and Kendall's W. Pure, NaN-aware where
// the doc comment says so, and exact on ties (average ranks, tie-corrected denominators).
import { mean } from './bootstrap.js';

/** Pearson's r. NaN when fewer than two pairs or either side has no variance. Pairs with a NaN are skipped. */
export function pearson(x: readonly number[], y: readonly number[]): number {
  let n = 0;
  let sx = 0;
  let sy = 0;
  const length = Math.min(x.length, y.length);
  for (let i = 0; i < length; i++) {
    const a = x[i] as number;
    const b = y[i] as number;
    if (Number.isNaN(a) || Number.isNaN(b)) continue;
    n++;
    sx += a;
    sy += b;
  }
  if (n < 2) return Number.NaN;
  const mx = sx / n;
  const my = sy / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < length; i++) {
    const a = x[i] as number;
    const b = y[i] as number;
    if (Number.isNaN(a) || Number.isNaN(b)) continue;
    sxy += (a - mx) * (b - my);
    sxx += (a - mx) ** 2;
    syy += (b - my) ** 2;
  }
  if (sxx === 0 || syy === 0) return Number.NaN;
  return sxy / Math.sqrt(sxx * syy);
}

/** 1-based ranks, ascending, ties given their average rank. */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(values.length).fill(0);
  let start = 0;
  while (start < order.length) {
    let end = start;
    while (end + 1 < order.length && (order[end + 1] as readonly [number, number])[0] === (order[start] as readonly [number, number])[0]) end++;
    const rank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) ranks[(order[k] as readonly [number, number])[1]] = rank;
    start = end + 1;
  }
  return ranks;
}

/** Spearman's rho: Pearson on average ranks. Pairs with a NaN are dropped first. */
export function spearman(x: readonly number[], y: readonly number[]): number {
  const xs: number[] = [];
  const ys: number[] = [];
  const length = Math.min(x.length, y.length);
  for (let i = 0; i < length; i++) {
    const a = x[i] as number;
    const b = y[i] as number;
    if (Number.isNaN(a) || Number.isNaN(b)) continue;
    xs.push(a);
    ys.push(b);
  }
  return pearson(averageRanks(xs), averageRanks(ys));
}

/** Kendall's tau-b (tie-corrected). NaN when either side is constant or fewer than two pairs. */
export function kendallTauB(x: readonly number[], y: readonly number[]): number {
  const n = Math.min(x.length, y.length);
  let concordant = 0;
  let discordant = 0;
  let tiesX = 0;
  let tiesY = 0;
  let pairs = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = Math.sign((x[i] as number) - (x[j] as number));
      const dy = Math.sign((y[i] as number) - (y[j] as number));
      if (Number.isNaN(dx) || Number.isNaN(dy)) continue;
      pairs++;
      if (dx === 0) tiesX++;
      if (dy === 0) tiesY++;
      if (dx !== 0 && dy !== 0) {
        if (dx === dy) concordant++;
        else discordant++;
      }
    }
  }
  const denominator = Math.sqrt((pairs - tiesX) * (pairs - tiesY));
  return denominator === 0 ? Number.NaN : (concordant - discordant) / denominator;
}

/**
 * Kendall's coefficient of concordance W for `ratings[rater][object]` (any scores; ranked per rater with ties
 * averaged, tie-corrected). 1 = every rater orders the objects the same way, 0 = no agreement.
 */
export function kendallW(ratings: readonly (readonly number[])[]): number {
  const m = ratings.length;
  const n = ratings[0]?.length ?? 0;
  if (m < 2 || n < 2) return Number.NaN;
  const rankSums = new Array<number>(n).fill(0);
  let tieCorrection = 0;
  for (const row of ratings) {
    if (row.length !== n || row.some((v) => Number.isNaN(v))) return Number.NaN;
    const ranks = averageRanks(row);
    ranks.forEach((r, j) => (rankSums[j] = (rankSums[j] as number) + r));
    const counts = new Map<number, number>();
    for (const r of ranks) counts.set(r, (counts.get(r) ?? 0) + 1);
    for (const t of counts.values()) tieCorrection += t ** 3 - t;
  }
  const meanSum = mean(rankSums);
  let s = 0;
  for (const r of rankSums) s += (r - meanSum) ** 2;
  const denominator = m * m * (n ** 3 - n) - m * tieCorrection;
  return denominator === 0 ? Number.NaN : (12 * s) / denominator;
}

/** 95% CI of Pearson's r by Fisher's z transform (normal approximation). */
export function pearsonFisherCI(r: number, n: number, level = 0.95): [number, number] {
  if (!Number.isFinite(r) || n < 4) return [Number.NaN, Number.NaN];
  const z = Math.atanh(Math.max(-0.999999, Math.min(0.999999, r)));
  const se = 1 / Math.sqrt(n - 3);
  const q = normalQuantile(1 - (1 - level) / 2);
  return [Math.tanh(z - q * se), Math.tanh(z + q * se)];
}

/** Inverse standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const [a0, a1, a2, a3, a4, a5] = a as [number, number, number, number, number, number];
  const [b0, b1, b2, b3, b4] = b as [number, number, number, number, number];
  const [c0, c1, c2, c3, c4, c5] = c as [number, number, number, number, number, number];
  const [d0, d1, d2, d3] = d as [number, number, number, number];
  const low = 0.02425;
  if (p <= 0 || p >= 1) return p <= 0 ? -Infinity : Infinity;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1);
  }
  if (p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) / (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1);
}

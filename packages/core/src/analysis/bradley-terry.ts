// Bradley-Terry scores from pairwise verdicts (Bradley & Terry 1952; as Arena-Hard fits them): maximum likelihood
// of P(i beats j) = sigmoid(s_i - s_j), ties counted as half a win for each side, scores centred to mean 0 and shown
// on an Elo-style scale (1000 + 400/ln 10 x logit). Also the win-rate matrix, position consistency, the first-shown
// answer's win rate, and AlpacaEval 2-style length control: a logistic GLM of the preference on model terms, a
// first-position term and the length difference, read with the length and position terms at zero. Every figure has a
// percentile-bootstrap CI over items.
import { quantile, type BootstrapOptions } from './bootstrap.js';
import { seededRandom } from '../util/seeded-random.js';

/** One usable verdict: the model shown first (`a`), second (`b`), and the outcome for `a`. */
export interface PairwiseObservation {
  /** Row of the item (0-based, the bootstrap unit). */
  item: number;
  repeat: number;
  a: number;
  b: number;
  /** 1: a (shown first) won; 0: b won; 0.5: tie. */
  y: number;
  /** log(1 + words of a) - log(1 + words of b); 0 when unknown. */
  lengthDiff: number;
}

/** Elo-style points per logit, as Arena-Hard and Chatbot Arena show Bradley-Terry scores. */
export const ELO_PER_LOGIT = 400 / Math.LN10;
export const ELO_CENTRE = 1000;

export function eloFromLogit(logit: number): number {
  return ELO_CENTRE + ELO_PER_LOGIT * logit;
}

/** Tiny ridge on the model terms: fixes the scores' common shift and keeps them finite when a model won or lost every comparison. */
const RIDGE = 1e-6;

/** Solve `A x = b` for a small dense symmetric positive-definite A (Gaussian elimination with partial pivoting). */
function solve(matrix: Float64Array[], vector: Float64Array): Float64Array {
  const n = vector.length;
  const a: Float64Array[] = matrix.map((row, i) => {
    const copy: Float64Array = new Float64Array(n + 1);
    copy.set(row);
    copy[n] = vector[i] as number;
    return copy;
  });
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let row = col + 1; row < n; row++) if (Math.abs((a[row] as Float64Array)[col] as number) > Math.abs((a[pivot] as Float64Array)[col] as number)) pivot = row;
    const swap = a[col] as Float64Array;
    a[col] = a[pivot] as Float64Array;
    a[pivot] = swap;
    const top = a[col] as Float64Array;
    const diag = top[col] as number;
    if (Math.abs(diag) < 1e-300) continue;
    for (let row = col + 1; row < n; row++) {
      const r = a[row] as Float64Array;
      const factor = (r[col] as number) / diag;
      if (factor === 0) continue;
      for (let k = col; k <= n; k++) r[k] = (r[k] as number) - factor * (top[k] as number);
    }
  }
  const x = new Float64Array(n);
  for (let row = n - 1; row >= 0; row--) {
    const r = a[row] as Float64Array;
    let sum = r[n] as number;
    for (let k = row + 1; k < n; k++) sum -= (r[k] as number) * (x[k] as number);
    const diag = r[row] as number;
    x[row] = Math.abs(diag) < 1e-300 ? 0 : sum / diag;
  }
  return x;
}

const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

function centred(values: Float64Array, count: number): number[] {
  let sum = 0;
  for (let i = 0; i < count; i++) sum += values[i] as number;
  const mean = sum / count;
  return Array.from({ length: count }, (_, i) => (values[i] as number) - mean);
}

/**
 * Bradley-Terry logits by Newton's method from `points[i][j]`: i's wins over j plus half the ties between them
 * (both orders together). Centred to mean 0. Models compared with nobody get 0.
 */
export function fitBradleyTerry(points: readonly (ArrayLike<number>)[], options: { start?: readonly number[] } = {}): number[] {
  const m = points.length;
  if (m === 0) return [];
  const s = new Float64Array(m);
  if (options.start) s.set(options.start);
  for (let iteration = 0; iteration < 100; iteration++) {
    const gradient = new Float64Array(m);
    const hessian = Array.from({ length: m }, () => new Float64Array(m));
    for (let i = 0; i < m; i++) {
      gradient[i] = -RIDGE * (s[i] as number);
      (hessian[i] as Float64Array)[i] = RIDGE;
    }
    for (let i = 0; i < m; i++) {
      for (let j = i + 1; j < m; j++) {
        const wij = (points[i] as ArrayLike<number>)[j] as number;
        const wji = (points[j] as ArrayLike<number>)[i] as number;
        const n = wij + wji;
        if (n === 0) continue;
        const p = sigmoid((s[i] as number) - (s[j] as number));
        const g = wij - n * p;
        const w = n * p * (1 - p);
        gradient[i] = (gradient[i] as number) + g;
        gradient[j] = (gradient[j] as number) - g;
        const hi = hessian[i] as Float64Array;
        const hj = hessian[j] as Float64Array;
        hi[i] = (hi[i] as number) + w;
        hj[j] = (hj[j] as number) + w;
        hi[j] = (hi[j] as number) - w;
        hj[i] = (hj[i] as number) - w;
      }
    }
    const step = solve(hessian, gradient);
    let largest = 0;
    for (let i = 0; i < m; i++) {
      // Damped: a separated model's score walks out a few logits at a time instead of jumping.
      const d = Math.max(-5, Math.min(5, step[i] as number));
      s[i] = (s[i] as number) + d;
      largest = Math.max(largest, Math.abs(d));
    }
    if (largest < 1e-10) break;
  }
  return centred(s, m);
}

export interface PreferenceGlm {
  /** Model terms (logits), centred to mean 0. */
  models: number[];
  /** Logit added when the model was shown first (0 when not fitted). */
  position: number;
  /** Logit per unit of log(1+words) difference, first minus second (0 when not fitted). */
  length: number;
}

/**
 * Logistic GLM of the preference: logit P(first wins) = theta_a - theta_b + position + length x lengthDiff, ties
 * as y = 0.5, by Newton's method (each observation touches four parameters, so a step costs O(observations)).
 * `counts[k]`: how often observation k is taken (a bootstrap resample); default once each.
 */
export function fitPreferenceGlm(observations: readonly PairwiseObservation[], modelCount: number, options: { position?: boolean; length?: boolean; counts?: ArrayLike<number>; start?: PreferenceGlm; maxIterations?: number; tolerance?: number } = {}): PreferenceGlm {
  const usePosition = options.position ?? true;
  const useLength = options.length ?? true;
  const P = modelCount + 2;
  const beta = new Float64Array(P);
  if (options.start) {
    beta.set(options.start.models);
    beta[modelCount] = options.start.position;
    beta[modelCount + 1] = options.start.length;
  }
  const maxIterations = options.maxIterations ?? 50;
  // Each observation's four nonzero features (a: +1, b: -1, position, length difference), reused to spare the GC.
  const index = Int32Array.of(0, 0, modelCount, modelCount + 1);
  const x = Float64Array.of(1, -1, 0, 0);
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    const gradient = new Float64Array(P);
    const hessian = Array.from({ length: P }, () => new Float64Array(P));
    for (let i = 0; i < modelCount; i++) {
      gradient[i] = -RIDGE * (beta[i] as number);
      (hessian[i] as Float64Array)[i] = RIDGE;
    }
    // An unfitted term is pinned at 0 by an identity row.
    if (!usePosition) (hessian[modelCount] as Float64Array)[modelCount] = 1;
    if (!useLength) (hessian[modelCount + 1] as Float64Array)[modelCount + 1] = 1;
    for (let k = 0; k < observations.length; k++) {
      const weight = options.counts ? (options.counts[k] as number) : 1;
      if (weight === 0) continue;
      const o = observations[k] as PairwiseObservation;
      const d = useLength ? o.lengthDiff : 0;
      const p = sigmoid((beta[o.a] as number) - (beta[o.b] as number) + (usePosition ? (beta[modelCount] as number) : 0) + (useLength ? (beta[modelCount + 1] as number) * d : 0));
      const g = weight * (o.y - p);
      const w = weight * p * (1 - p);
      index[0] = o.a;
      index[1] = o.b;
      x[2] = usePosition ? 1 : 0;
      x[3] = d;
      for (let u = 0; u < 4; u++) {
        const xu = x[u] as number;
        if (xu === 0) continue;
        const iu = index[u] as number;
        gradient[iu] = (gradient[iu] as number) + g * xu;
        const row = hessian[iu] as Float64Array;
        for (let v = 0; v < 4; v++) {
          const xv = x[v] as number;
          if (xv === 0) continue;
          const iv = index[v] as number;
          row[iv] = (row[iv] as number) + w * xu * xv;
        }
      }
    }
    const step = solve(hessian, gradient);
    let largest = 0;
    for (let i = 0; i < P; i++) {
      const d = Math.max(-5, Math.min(5, step[i] as number));
      beta[i] = (beta[i] as number) + d;
      largest = Math.max(largest, Math.abs(d));
    }
    if (largest < (options.tolerance ?? 1e-9)) break;
  }
  return { models: centred(beta, modelCount), position: usePosition ? (beta[modelCount] as number) : 0, length: useLength ? (beta[modelCount + 1] as number) : 0 };
}

export interface RatedModel {
  model: string;
  /** Centred logit. */
  logit: number;
  /** Elo-style: 1000 + 400/ln 10 x logit. */
  elo: number;
  /** Bootstrap over items, on the Elo-style scale. */
  ci95: [number, number];
  /** 1 = best. */
  rank: number;
}

export interface Rate {
  rate: number;
  ci95: [number, number];
  /** How many verdicts (or pairs) it is out of. */
  n: number;
}

export interface PairwiseAnalysis {
  judge: string;
  models: string[];
  /** Usable verdicts, ties among them, and verdicts the judge gave no usable reply for. */
  comparisons: number;
  ties: number;
  failed: number;
  /** Bradley-Terry, ties as half wins, no other terms. */
  bradleyTerry: RatedModel[];
  /** `winRates[i][j]`: share of i's comparisons with j that i won (ties half), both orders; NaN when none. */
  winRates: number[][];
  /** Each model's win share over all its comparisons. */
  overallWinRate: Rate[];
  /** Pairs of one item and repeat judged in both orders with usable verdicts whose winner (or tie) is the same both times. */
  positionConsistency: Rate;
  /** Share of decisive verdicts (no tie) won by the answer shown first. 0.5 = no position bias. */
  firstPositionWinRate: Rate;
  /** The GLM's first-position logit (0 = no bias). */
  positionLogit: { value: number; ci95: [number, number] };
  /** The GLM's logit per unit of log(1+words) difference (> 0: longer answers preferred). */
  lengthLogit: { value: number; ci95: [number, number] };
  /** Length-controlled Bradley-Terry: the GLM's model terms, Elo-style, with the length and position terms at zero. */
  lengthControlled: RatedModel[];
  /** True when the length-controlled order of the models differs from the raw one. */
  rankingChanged: boolean;
  /** Models whose rank moved under length control. */
  rankChanges: Array<{ model: string; raw: number; controlled: number }>;
  resamples: number;
}

/** 1-based ranks, best (highest) first; ties share the better rank. */
export function ranksDescending(values: readonly number[]): number[] {
  return values.map((v) => 1 + values.filter((other) => other > v + 1e-9).length);
}

function percentile(values: number[], level: number): [number, number] {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  const alpha = (1 - level) / 2;
  return [quantile(finite, alpha), quantile(finite, 1 - alpha)];
}

/** The winner of a verdict as a model index, -1 for a tie. */
function winnerOf(o: PairwiseObservation): number {
  return o.y === 0.5 ? -1 : o.y === 1 ? o.a : o.b;
}

interface ItemStats {
  points: Float64Array[];
  consistent: number;
  pairs: number;
  firstWins: number;
  decided: number;
  observations: number[];
}

function itemStats(observations: readonly PairwiseObservation[], itemCount: number, m: number): ItemStats[] {
  const stats: ItemStats[] = Array.from({ length: itemCount }, () => ({ points: Array.from({ length: m }, () => new Float64Array(m)), consistent: 0, pairs: 0, firstWins: 0, decided: 0, observations: [] }));
  const orders = new Map<string, PairwiseObservation>();
  observations.forEach((o, k) => {
    const s = stats[o.item] as ItemStats;
    s.observations.push(k);
    (s.points[o.a] as Float64Array)[o.b] = ((s.points[o.a] as Float64Array)[o.b] as number) + o.y;
    (s.points[o.b] as Float64Array)[o.a] = ((s.points[o.b] as Float64Array)[o.a] as number) + 1 - o.y;
    if (o.y !== 0.5) {
      s.decided++;
      if (o.y === 1) s.firstWins++;
    }
    const key = `${o.item}/${o.repeat}/${Math.min(o.a, o.b)}/${Math.max(o.a, o.b)}`;
    const other = orders.get(key);
    if (other && other.a === o.b && other.b === o.a) {
      s.pairs++;
      if (winnerOf(other) === winnerOf(o)) s.consistent++;
      orders.delete(key);
    } else orders.set(key, o);
  });
  return stats;
}

function rated(models: readonly string[], logits: readonly number[], draws: number[][]): RatedModel[] {
  const ranks = ranksDescending(logits);
  return models.map((model, i) => ({ model, logit: logits[i] as number, elo: eloFromLogit(logits[i] as number), ci95: percentile(draws.map((d) => eloFromLogit(d[i] as number)), 0.95), rank: ranks[i] as number }));
}

/**
 * Everything the report shows about a pairwise judge, from its usable verdicts (`observations`), over `itemCount`
 * items. `failed`: verdicts with no usable reply (counted, not fitted). Bootstrap: resamples of items, default 1000
 * (the GLM refits are capped at 500 draws, warm-started from the full fit).
 */
export function analyzePairwise(judge: string, models: readonly string[], itemCount: number, observations: readonly PairwiseObservation[], options: BootstrapOptions & { failed?: number } = {}): PairwiseAnalysis {
  const m = models.length;
  const stats = itemStats(observations, itemCount, m);
  const total = (pick: (s: ItemStats) => number, chosen?: ArrayLike<number>): number => {
    let sum = 0;
    if (chosen) for (let k = 0; k < chosen.length; k++) sum += pick(stats[chosen[k] as number] as ItemStats);
    else for (const s of stats) sum += pick(s);
    return sum;
  };
  const pointsOf = (chosen?: ArrayLike<number>): Float64Array[] => {
    const points = Array.from({ length: m }, () => new Float64Array(m));
    const add = (s: ItemStats): void => {
      for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) (points[i] as Float64Array)[j] = ((points[i] as Float64Array)[j] as number) + ((s.points[i] as Float64Array)[j] as number);
    };
    if (chosen) for (let k = 0; k < chosen.length; k++) add(stats[chosen[k] as number] as ItemStats);
    else stats.forEach(add);
    return points;
  };
  const points = pointsOf();
  const bt = fitBradleyTerry(points);
  const glm = fitPreferenceGlm(observations, m);
  const resamples = options.resamples ?? 1000;
  const glmResamples = Math.min(resamples, 500);
  const random = seededRandom(`${String(options.seed ?? 'pairwise')}/${judge}`);
  const btDraws: number[][] = [];
  const lcDraws: number[][] = [];
  const positionDraws: number[] = [];
  const lengthDraws: number[] = [];
  const consistencyDraws: number[] = [];
  const firstDraws: number[] = [];
  const winDraws: number[][] = [];
  const counts = new Float64Array(observations.length);
  const chosen = new Int32Array(itemCount);
  for (let r = 0; r < resamples && itemCount > 0; r++) {
    for (let i = 0; i < itemCount; i++) chosen[i] = Math.floor(random() * itemCount);
    const p = pointsOf(chosen);
    btDraws.push(fitBradleyTerry(p, { start: bt }));
    winDraws.push(models.map((_, i) => overallShare(p, i)));
    consistencyDraws.push(total((s) => s.consistent, chosen) / total((s) => s.pairs, chosen));
    firstDraws.push(total((s) => s.firstWins, chosen) / total((s) => s.decided, chosen));
    if (r < glmResamples) {
      counts.fill(0);
      for (let k = 0; k < chosen.length; k++) for (const o of (stats[chosen[k] as number] as ItemStats).observations) counts[o] = (counts[o] as number) + 1;
      const fit = fitPreferenceGlm(observations, m, { counts, start: glm, maxIterations: 8, tolerance: 1e-6 });
      lcDraws.push(fit.models);
      positionDraws.push(fit.position);
      lengthDraws.push(fit.length);
    }
  }
  const bradleyTerry = rated(models, bt, btDraws);
  const lengthControlled = rated(models, glm.models, lcDraws);
  const rankChanges = models.map((model, i) => ({ model, raw: (bradleyTerry[i] as RatedModel).rank, controlled: (lengthControlled[i] as RatedModel).rank })).filter((c) => c.raw !== c.controlled);
  const pairs = total((s) => s.pairs);
  const decided = total((s) => s.decided);
  return {
    judge,
    models: [...models],
    comparisons: observations.length,
    ties: observations.filter((o) => o.y === 0.5).length,
    failed: options.failed ?? 0,
    bradleyTerry,
    winRates: models.map((_, i) => models.map((_, j) => {
      const n = ((points[i] as Float64Array)[j] as number) + ((points[j] as Float64Array)[i] as number);
      return i === j || n === 0 ? Number.NaN : ((points[i] as Float64Array)[j] as number) / n;
    })),
    overallWinRate: models.map((_, i) => ({ rate: overallShare(points, i), ci95: percentile(winDraws.map((d) => d[i] as number), 0.95), n: comparisonsOf(points, i) })),
    positionConsistency: { rate: pairs === 0 ? Number.NaN : total((s) => s.consistent) / pairs, ci95: pairs === 0 ? [Number.NaN, Number.NaN] : percentile(consistencyDraws, 0.95), n: pairs },
    firstPositionWinRate: { rate: decided === 0 ? Number.NaN : total((s) => s.firstWins) / decided, ci95: decided === 0 ? [Number.NaN, Number.NaN] : percentile(firstDraws, 0.95), n: decided },
    positionLogit: { value: glm.position, ci95: percentile(positionDraws, 0.95) },
    lengthLogit: { value: glm.length, ci95: percentile(lengthDraws, 0.95) },
    lengthControlled,
    rankingChanged: rankChanges.length > 0,
    rankChanges,
    resamples,
  };
}

function comparisonsOf(points: readonly Float64Array[], i: number): number {
  let n = 0;
  points.forEach((row, j) => {
    if (j !== i) n += ((points[i] as Float64Array)[j] as number) + (row[i] as number);
  });
  return n;
}

function overallShare(points: readonly Float64Array[], i: number): number {
  let won = 0;
  points.forEach((_, j) => {
    if (j !== i) won += (points[i] as Float64Array)[j] as number;
  });
  const n = comparisonsOf(points, i);
  return n === 0 ? Number.NaN : won / n;
}

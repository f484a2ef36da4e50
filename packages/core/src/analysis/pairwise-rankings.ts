// A pairwise judge's verdicts as observations for the Bradley-Terry fits, and how its ranking agrees with the
// other judges' (single, batched...) on the same items: Kendall's tau-b and Spearman's rho with bootstrap CIs.
import type { JudgmentRecord } from '../run/run-directory.js';
import type { BootstrapOptions } from './bootstrap.js';
import { analyzePairwise, fitBradleyTerry, type PairwiseAnalysis, type PairwiseObservation } from './bradley-terry.js';
import { kendallTauB, spearman } from './correlation.js';
import { itemModelMeans, type JudgeScores } from './judge-scores.js';
import { answerLength } from './length-bias.js';
import { quantile } from './bootstrap.js';
import { seededRandom } from '../util/seeded-random.js';

export interface PairwiseVerdicts {
  judge: string;
  models: string[];
  itemCount: number;
  observations: PairwiseObservation[];
  /** Verdicts with no usable reply. */
  failed: number;
}

/**
 * The verdicts of judge `judge` in `judgments` (records with `comparisons`), or undefined when it has none.
 * `responses[model][row]` (the run's answers, in `models` x `items` order) give each verdict's length difference.
 */
export function pairwiseVerdicts(judgments: readonly JudgmentRecord[], judge: string, models: readonly string[], items: readonly number[], responses?: readonly (readonly string[])[]): PairwiseVerdicts | undefined {
  const modelIndex = new Map(models.map((m, i) => [m, i]));
  const itemIndex = new Map(items.map((it, i) => [it, i]));
  const observations: PairwiseObservation[] = [];
  let failed = 0;
  let seen = false;
  const logLength = (model: number, row: number): number | undefined => {
    const text = responses?.[model]?.[row];
    return text === undefined ? undefined : Math.log1p(answerLength(text));
  };
  for (const record of judgments) {
    if (record.judge !== judge || !record.comparisons) continue;
    seen = true;
    const row = itemIndex.get(record.index);
    if (row === undefined) continue;
    for (const comparison of record.comparisons) {
      const a = modelIndex.get(comparison.a);
      const b = modelIndex.get(comparison.b);
      if (a === undefined || b === undefined) continue;
      if (comparison.winner === null) {
        failed++;
        continue;
      }
      const la = logLength(a, row);
      const lb = logLength(b, row);
      observations.push({ item: row, repeat: record.repeat, a, b, y: comparison.winner === 'A' ? 1 : comparison.winner === 'B' ? 0 : 0.5, lengthDiff: la === undefined || lb === undefined ? 0 : la - lb });
    }
  }
  return seen ? { judge, models: [...models], itemCount: items.length, observations, failed } : undefined;
}

export interface RankingAgreement {
  /** The other judge. */
  judge: string;
  mode: string;
  /** Its model means, in the pairwise judge's model order. */
  means: number[];
  kendallTauB: number;
  kendallCi95: [number, number];
  spearman: number;
  spearmanCi95: [number, number];
}

function pointsOver(verdicts: PairwiseVerdicts, chosen?: ArrayLike<number>): Float64Array[] {
  const m = verdicts.models.length;
  const weight = new Float64Array(verdicts.itemCount);
  if (chosen) for (let k = 0; k < chosen.length; k++) weight[chosen[k] as number] = (weight[chosen[k] as number] as number) + 1;
  else weight.fill(1);
  const points = Array.from({ length: m }, () => new Float64Array(m));
  for (const o of verdicts.observations) {
    const w = weight[o.item] as number;
    if (w === 0) continue;
    (points[o.a] as Float64Array)[o.b] = ((points[o.a] as Float64Array)[o.b] as number) + w * o.y;
    (points[o.b] as Float64Array)[o.a] = ((points[o.b] as Float64Array)[o.a] as number) + w * (1 - o.y);
  }
  return points;
}

function meansOver(cells: readonly (readonly number[])[], modelColumns: readonly (number | undefined)[], chosen?: ArrayLike<number>): number[] {
  return modelColumns.map((column) => {
    if (column === undefined) return Number.NaN;
    let sum = 0;
    let n = 0;
    const add = (row: number): void => {
      const v = (cells[row] as readonly number[] | undefined)?.[column];
      if (v === undefined || Number.isNaN(v)) return;
      sum += v;
      n++;
    };
    if (chosen) for (let k = 0; k < chosen.length; k++) add(chosen[k] as number);
    else cells.forEach((_, row) => add(row));
    return n === 0 ? Number.NaN : sum / n;
  });
}

/**
 * Rank agreement between the pairwise judge's Bradley-Terry scores and `other`'s model means over the same items
 * (rows must be the same items: both from one run's `items.json`), with percentile-bootstrap CIs over items.
 */
export function rankingAgreement(verdicts: PairwiseVerdicts, other: JudgeScores, options: BootstrapOptions = {}): RankingAgreement {
  const columns = verdicts.models.map((model) => {
    const i = other.models.indexOf(model);
    return i < 0 ? undefined : i;
  });
  const cells = itemModelMeans(other);
  const bt = fitBradleyTerry(pointsOver(verdicts));
  const means = meansOver(cells, columns);
  const resamples = Math.min(options.resamples ?? 1000, 1000);
  const random = seededRandom(`${String(options.seed ?? 'ranking')}/${verdicts.judge}/${other.judge}`);
  const taus: number[] = [];
  const rhos: number[] = [];
  const n = Math.min(verdicts.itemCount, cells.length);
  const chosen = new Int32Array(n);
  for (let r = 0; r < resamples && n > 0; r++) {
    for (let i = 0; i < n; i++) chosen[i] = Math.floor(random() * n);
    const x = fitBradleyTerry(pointsOver(verdicts, chosen), { start: bt });
    const y = meansOver(cells, columns, chosen);
    taus.push(kendallTauB(x, y));
    rhos.push(spearman(x, y));
  }
  const interval = (values: number[]): [number, number] => {
    const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
    return [quantile(finite, 0.025), quantile(finite, 0.975)];
  };
  return { judge: other.judge, mode: other.mode, means, kendallTauB: kendallTauB(bt, means), kendallCi95: interval(taus), spearman: spearman(bt, means), spearmanCi95: interval(rhos) };
}

export interface PairwiseJudgeAnalysis extends PairwiseAnalysis {
  /** The pairwise ranking beside every other judge's, with rank correlations. */
  agreement: RankingAgreement[];
}

/** The whole pairwise analysis of one judge: BT, win rates, position consistency, length control, agreement with `others`. */
export function analyzePairwiseJudge(verdicts: PairwiseVerdicts, others: readonly JudgeScores[], options: BootstrapOptions = {}): PairwiseJudgeAnalysis {
  return {
    ...analyzePairwise(verdicts.judge, verdicts.models, verdicts.itemCount, verdicts.observations, { ...options, failed: verdicts.failed }),
    agreement: others.filter((other) => other.judge !== verdicts.judge).map((other) => rankingAgreement(verdicts, other, options)),
  };
}

// Per judge, for the report: flip rate between repeats (scores, and verdicts for pairwise judges), the mean
// expected score of logprob judges beside the sampled one, and why `repeats auto` stopped (from results.json).
import type { JudgmentRecord, RunResults } from '../run/run-directory.js';
import type { AutoRepeatsRecord } from '../protocol/judging/auto-repeats.js';
import { bootstrapMeanCI, type BootstrapOptions } from './bootstrap.js';
import { flipRate, verdictFlipRate, type FlipRate } from './flip-rate.js';
import { finiteMean, itemModelMeans, type JudgeScores } from './judge-scores.js';

export interface ExpectedScoreRow {
  model: string;
  /** Mean over items of the sampled scores (the judge's usual score). */
  sampled: number;
  /** Mean over items of the item's mean expected score; NaN when no judgment of the model has a distribution. */
  expected: number;
  ci95: [number, number];
  /** Judgments with a distribution, and those without one (e.g. the score took two tokens). */
  judgments: number;
  unavailable: number;
}

export interface JudgeStabilityAnalysis {
  /** Flip rate of the scores between repeats; null with fewer than 2 repeats. */
  scores: FlipRate | null;
  /** Pairwise judges: flips of the verdict (A, B or tie) of each ordered pair between repeats. */
  verdicts?: Pick<FlipRate, 'repeats' | 'items' | 'comparisons' | 'flipRate' | 'flipRateCi95'>;
  /** Logprob judges only. */
  expected?: ExpectedScoreRow[];
  autoRepeats?: AutoRepeatsRecord;
}

/**
 * `verdicts[repeat][item][ordered pair]` of a pairwise judge's records (the winning model's name, `tie`, or null for
 * no verdict), or undefined when it has none. Also what a judge run's results.json `verdictFlips` is computed from.
 */
export function pairwiseVerdictGrid(records: readonly JudgmentRecord[], items: readonly number[]): Array<Array<Array<string | null>>> | undefined {
  const withComparisons = records.filter((r) => r.comparisons && r.comparisons.length > 0);
  if (withComparisons.length === 0) return undefined;
  const repeats = [...new Set(withComparisons.map((r) => r.repeat))].sort((a, b) => a - b);
  const units = [...new Set(withComparisons.flatMap((r) => (r.comparisons ?? []).map((c) => `${c.a}\u0000${c.b}`)))];
  const unitIndex = new Map(units.map((u, k) => [u, k]));
  const itemIndex = new Map(items.map((it, i) => [it, i]));
  const grid = repeats.map(() => items.map(() => units.map((): string | null => null)));
  for (const record of withComparisons) {
    const i = itemIndex.get(record.index);
    if (i === undefined) continue;
    const row = grid[repeats.indexOf(record.repeat)]?.[i] as Array<string | null>;
    for (const c of record.comparisons ?? []) row[unitIndex.get(`${c.a}\u0000${c.b}`) as number] = c.winner === 'A' ? c.a : c.winner === 'B' ? c.b : c.winner;
  }
  return grid;
}

function expectedRows(records: readonly JudgmentRecord[], judge: JudgeScores, bootstrap: BootstrapOptions): ExpectedScoreRow[] | undefined {
  if (!records.some((r) => r.scores.some((s) => s.distribution))) return undefined;
  const sampled = itemModelMeans(judge);
  const itemIndex = new Map(judge.items.map((it, i) => [it, i]));
  return judge.models.map((model, m) => {
    const perItem = judge.items.map((): number[] => []);
    let unavailable = 0;
    for (const record of records) {
      const i = itemIndex.get(record.index);
      const score = record.scores.find((s) => s.model === model);
      if (i === undefined || !score?.distribution) continue;
      if ('expected' in score.distribution) perItem[i]?.push(score.distribution.expected);
      else unavailable++;
    }
    const means = perItem.filter((v) => v.length > 0).map((v) => v.reduce((a, b) => a + b, 0) / v.length);
    return {
      model,
      sampled: finiteMean(sampled.map((row) => row[m] as number)),
      expected: means.length === 0 ? Number.NaN : means.reduce((a, b) => a + b, 0) / means.length,
      ci95: bootstrapMeanCI(means, bootstrap),
      judgments: perItem.reduce((s, v) => s + v.length, 0),
      unavailable,
    };
  });
}

/** The stability figures of one judge. `judge` is its failures-dropped score view. */
export function judgeStabilityAnalysis(judgments: readonly JudgmentRecord[], judge: JudgeScores, results: RunResults | undefined, bootstrap: BootstrapOptions = {}): JudgeStabilityAnalysis {
  const records = judgments.filter((r) => r.judge === judge.judge);
  const scores = judge.repeats.length >= 2 ? flipRate(judge.scores, bootstrap) : null;
  const grid = pairwiseVerdictGrid(records, judge.items);
  const verdicts = grid && grid.length >= 2 ? verdictFlipRate(grid, bootstrap) : undefined;
  const expected = expectedRows(records, judge, bootstrap);
  const autoRepeats = results?.judges.find((j) => j.name === judge.judge)?.autoRepeats;
  return { scores: scores && scores.comparisons > 0 ? scores : null, ...(verdicts ? { verdicts } : {}), ...(expected ? { expected } : {}), ...(autoRepeats ? { autoRepeats } : {}) };
}

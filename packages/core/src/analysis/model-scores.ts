// Per-model means with bootstrap CIs over items, and paired bootstrap CIs for every gap between two models
// (items resampled jointly, so the shared item difficulty cancels and a user sees which gaps are real).
import { bootstrapCI, type BootstrapOptions } from './bootstrap.js';
import { itemModelMeans, type JudgeScores } from './judge-scores.js';

export interface ModelScoreSummary {
  model: string;
  /** Mean over items of the item's mean over repeats. */
  mean: number;
  ci95: [number, number];
  /** Items with at least one score. */
  items: number;
  scored: number;
  failed: number;
  /** failed / (scored + failed); NaN when never judged. */
  failureRate: number;
  /** Where `ci95` comes from: the judge stage's results.json (see `adoptStoredIntervals`), else bootstrapped here. */
  ciSource?: 'results.json' | 'bootstrap';
}

/** Mean and percentile-bootstrap CI of the finite entries of `values`, resampling all positions. */
export function meanWithCI(values: readonly number[], options: BootstrapOptions = {}): { mean: number; ci95: [number, number]; n: number } {
  const finite = values.filter((v) => !Number.isNaN(v));
  if (finite.length === 0) return { mean: Number.NaN, ci95: [Number.NaN, Number.NaN], n: 0 };
  let sum = 0;
  for (const v of finite) sum += v;
  const ci = bootstrapCI(
    finite.length,
    (indices) => {
      let s = 0;
      for (const i of indices) s += finite[i] as number;
      return s / indices.length;
    },
    options,
  );
  return { mean: sum / finite.length, ci95: ci, n: finite.length };
}

export function modelScoreSummaries(judge: JudgeScores, options: BootstrapOptions = {}): ModelScoreSummary[] {
  const cells = itemModelMeans(judge);
  return judge.models.map((model, m) => {
    const { mean, ci95, n } = meanWithCI(
      cells.map((row) => row[m] as number),
      { ...options, seed: `${String(options.seed ?? 'model')}/${model}` },
    );
    const scored = judge.scored[m] as number;
    const failed = judge.failed[m] as number;
    return { model, mean, ci95, items: n, scored, failed, failureRate: scored + failed === 0 ? Number.NaN : failed / (scored + failed) };
  });
}

export interface PairedDifference {
  a: string;
  b: string;
  /** Mean over items scored for both of (a - b). */
  difference: number;
  ci95: [number, number];
  items: number;
  /** True when the CI excludes 0. */
  significant: boolean;
}

/** Paired differences for each pair of rows of `cells[item][model]` (items with both scores). */
function pairedDifferencesFromCells(cells: readonly (readonly number[])[], models: readonly string[], options: BootstrapOptions = {}): PairedDifference[] {
  const out: PairedDifference[] = [];
  for (let a = 0; a < models.length; a++) {
    for (let b = a + 1; b < models.length; b++) {
      const diffs: number[] = [];
      for (const row of cells) {
        const d = (row[a] as number) - (row[b] as number);
        if (!Number.isNaN(d)) diffs.push(d);
      }
      const { mean, ci95, n } = meanWithCI(diffs, { ...options, seed: `${String(options.seed ?? 'pair')}/${a}/${b}` });
      out.push({ a: models[a] as string, b: models[b] as string, difference: mean, ci95, items: n, significant: ci95[0] > 0 || ci95[1] < 0 });
    }
  }
  return out;
}

export function pairedDifferences(judge: JudgeScores, options: BootstrapOptions = {}): PairedDifference[] {
  return pairedDifferencesFromCells(itemModelMeans(judge), judge.models, options);
}

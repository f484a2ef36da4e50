// What a judge run adds to results.json and results.md about stability and score distributions: the flip rate
// between its repeats (analysis/flip-rate.ts) and, for logprob judges, each model's mean expected score.
import { bootstrapMeanCI } from '../../analysis/bootstrap.js';
import { flipRate, verdictFlipRate, type FlipRate } from '../../analysis/flip-rate.js';
import { pairwiseVerdictGrid } from '../../analysis/stability-analysis.js';
import { formatCi95 } from '../../analysis/format-ci.js';
import type { ExpectedScoreSummary, JudgmentRecord, RunResults } from '../../run/run-directory.js';

export type VerdictFlips = NonNullable<RunResults['judges'][number]['verdictFlips']>;
import { AUTO_STOP_EXPLANATIONS, type AutoRepeatsRecord } from './auto-repeats.js';
import type { ScoreGrid } from './judge-results.js';

/** `[repeat][item][model]` of a score grid (`grid[model][item][repeat]`), NaN where there is no score. */
export function repeatItemModel(grid: ScoreGrid): number[][][] {
  const repeats = Math.max(0, ...grid.flatMap((items) => items.map((cells) => cells.length)));
  const items = grid[0]?.length ?? 0;
  return Array.from({ length: repeats }, (_, r) =>
    Array.from({ length: items }, (_, i) =>
      grid.map((cells) => {
        const cell = cells[i]?.[r];
        return cell && typeof cell.score === 'number' ? cell.score : Number.NaN;
      }),
    ),
  );
}

/** The flip rate between the repeats of the grid; undefined when fewer than 2 repeats have scores. */
export function judgeStability(grid: ScoreGrid, seed: number | string): FlipRate | undefined {
  const result = flipRate(repeatItemModel(grid), { seed: `${String(seed)}/flip` });
  return result.repeats < 2 || result.comparisons === 0 ? undefined : result;
}

/**
 * A pairwise judge's verdict flips between repeats: the share of (item, ordered pair, pair of repeats) whose verdict
 * (winner or tie) differs, among those with a verdict in both, with a bootstrap CI over items (flip-rate.ts). Undefined
 * without comparisons, with fewer than 2 repeats, or when no ordered pair has a verdict in two repeats.
 */
export function pairwiseVerdictFlips(records: readonly JudgmentRecord[], items: readonly number[], seed: number | string): VerdictFlips | undefined {
  const grid = pairwiseVerdictGrid(records, items);
  if (!grid || grid.length < 2) return undefined;
  const result = verdictFlipRate(grid, { seed: `${String(seed)}/verdict-flip` });
  return result.comparisons === 0 ? undefined : result;
}

/**
 * Per model: the mean over items of the item's mean expected score (G-Eval: sum of score x probability over the
 * score tokens), with a bootstrap CI over items; undefined when no judgment of the model has a distribution.
 */
export function expectedScores(grid: ScoreGrid, seed: number | string): Array<ExpectedScoreSummary | undefined> {
  return grid.map((items) => {
    const perItem: number[] = [];
    let judgments = 0;
    for (const cells of items) {
      const values: number[] = [];
      for (const cell of cells) {
        const distribution = cell?.distribution;
        if (distribution && 'expected' in distribution) values.push(distribution.expected);
      }
      judgments += values.length;
      if (values.length > 0) perItem.push(values.reduce((a, b) => a + b, 0) / values.length);
    }
    if (perItem.length === 0) return undefined;
    return { score: perItem.reduce((a, b) => a + b, 0) / perItem.length, ci95: bootstrapMeanCI(perItem, { seed }), items: perItem.length, judgments };
  });
}

function pct(value: number): string {
  return Number.isFinite(value) ? `${(100 * value).toFixed(1)}%` : 'n/a';
}

function pctCi(ci: readonly [number, number]): string {
  return Number.isFinite(ci[0]) ? `[${pct(ci[0])}, ${pct(ci[1])}]` : '';
}

/** The results.md lines on stability, expected scores and why auto repeats stopped (empty when there is none). */
export function formatStabilityMarkdown(parts: { stability?: FlipRate; verdictFlips?: VerdictFlips; autoRepeats?: AutoRepeatsRecord; expected?: Array<{ name: string; sampled: number; expected: ExpectedScoreSummary | undefined }> }): string {
  const lines: string[] = [];
  const { stability, verdictFlips, autoRepeats, expected } = parts;
  if (stability) {
    lines.push(
      '',
      `Stability between repeats (${stability.repeats} repeats, ${stability.items} items): flip rate ${pct(stability.flipRate)} ${pctCi(stability.flipRateCi95)} of ${stability.comparisons} score comparisons; ` +
        `mean absolute change ${stability.meanAbsChange.toFixed(2)} ${formatCi95(stability.meanAbsChangeCi95)} points; ` +
        `model order changes on ${pct(stability.rankChangeRate)} ${pctCi(stability.rankChangeRateCi95)} of items.`,
    );
  }
  if (verdictFlips) {
    lines.push('', `Pairwise verdict flips between repeats (${verdictFlips.repeats} repeats, ${verdictFlips.items} items): ${pct(verdictFlips.flipRate)} ${pctCi(verdictFlips.flipRateCi95)} of ${verdictFlips.comparisons} verdict comparisons (the same ordered pair of the same item, two repeats).`);
  }
  if (autoRepeats) {
    lines.push('', `Repeats auto: stopped after ${autoRepeats.repeats} repeats (${autoRepeats.judgments} judgments; items per repeat ${autoRepeats.itemsPerRepeat.join(', ')}) because ${AUTO_STOP_EXPLANATIONS[autoRepeats.stopped]}.`);
  }
  if (expected && expected.some((row) => row.expected)) {
    lines.push('', 'Expected score from token log-probabilities (G-Eval style), beside the sampled score:', '', '| model | sampled | expected | 95% CI | judgments with a distribution |', '| --- | ---: | ---: | --- | ---: |');
    for (const row of expected) {
      const e = row.expected;
      lines.push(`| ${row.name.replace(/\|/g, '\\|')} | ${Number.isFinite(row.sampled) ? row.sampled.toFixed(2) : 'n/a'} | ${e ? e.score.toFixed(2) : 'n/a'} | ${e ? formatCi95(e.ci95) : ''} | ${e ? e.judgments : 0} |`);
    }
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/** A study's results.md lines on each judge's stability and auto repeats, after the table (empty when none has any). */
export function formatStudyStabilityMarkdown(results: RunResults): string {
  const lines: string[] = [];
  for (const judge of results.judges) {
    const s = judge.stability;
    const v = judge.verdictFlips;
    const auto = judge.autoRepeats;
    if (!s && !v && !auto) continue;
    const parts: string[] = [];
    if (s) parts.push(`flip rate ${pct(s.flipRate)} ${pctCi(s.flipRateCi95)} between ${s.repeats} repeats, mean absolute change ${s.meanAbsChange.toFixed(2)} points, model order changes on ${pct(s.rankChangeRate)} of items`);
    if (v) parts.push(`pairwise verdict flips ${pct(v.flipRate)} ${pctCi(v.flipRateCi95)} of ${v.comparisons} verdict comparisons`);
    if (auto) parts.push(`repeats auto stopped after ${auto.repeats} repeats because ${AUTO_STOP_EXPLANATIONS[auto.stopped]}`);
    lines.push(`- ${judge.name.replace(/\|/g, '\\|')}: ${parts.join('; ')}.`);
  }
  return lines.length > 0 ? `\nStability between repeats:\n\n${lines.join('\n')}\n` : '';
}

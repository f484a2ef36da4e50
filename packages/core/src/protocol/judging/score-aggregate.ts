// How per-item scores become a model's score. `drop-failed` (the book): mean over the items that got a score.
// `failed-as-zero` (the study's batched run): a failed item counts 0, so the mean divides by all items.

export type AggregateRule = 'drop-failed' | 'failed-as-zero';

export const AGGREGATE_RULES: readonly AggregateRule[] = ['drop-failed', 'failed-as-zero'];

/** The values the rule averages: scored values, with failures dropped or counted as 0. */
export function aggregateValues(scores: readonly (number | null)[], rule: AggregateRule): number[] {
  if (rule === 'failed-as-zero') return scores.map((score) => score ?? 0);
  return scores.filter((score): score is number => score !== null);
}

/** Mean under `rule`; null when there is nothing to average. */
export function aggregateScores(scores: readonly (number | null)[], rule: AggregateRule): number | null {
  const values = aggregateValues(scores, rule);
  if (values.length === 0) return null;
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/**
 * One item's score from its repeats: the mean of the repeats under the same rule (a failed repeat is dropped
 * or counts 0). Null when the item has no usable score, i.e. it failed in every repeat under `drop-failed`.
 */
export function itemScore(repeats: readonly (number | null)[], rule: AggregateRule): number | null {
  if (repeats.every((score) => score === null)) return rule === 'failed-as-zero' && repeats.length > 0 ? 0 : null;
  return aggregateScores(repeats, rule);
}

// `--repeats auto`: judge every item `min` times (default 2), then add one repeat at a time, only for the items that
// are still uncertain, until the ranking is settled, the scores are precise enough, or `max` repeats are reached.
// Pure: the runner gives it the scores so far and it says whether to stop and which items to repeat next.
//
// Stop rules, checked before each new repeat k (k >= min) on the judgments of repeats 0..k-1:
//   separated    every adjacent pair of models (ordered by mean score) has a 95% bootstrap CI of its paired
//                per-item difference that excludes 0 (needs 2 or more models);
//   ci-width     `targetCiWidth` is set and every model's 95% score CI is narrower than it;
//   max-repeats  k = max;
//   no-uncertain-items  no item is left whose repeats disagree (repeating a judge that always says the same can't help).
// Item selection (documented in docs/analysis.md): an item's uncertainty is the variance of its mean over repeats,
//   u_i = sum over the unresolved adjacent pairs (a, b) of s^2(score_a - score_b over the item's repeats) / n_i,
//   plus, when a target width is set, sum over models whose CI is still too wide of s^2(score_m) / n_i.
// Items with exactly 1 usable repeat are always repeated (none: the judge cannot score them; they are skipped). Of the rest, those with u_i > 0 are taken from the
// most uncertain down until they hold `spendShare` (default 0.8) of the total uncertainty.
import { bootstrapMeanCI } from '../../analysis/bootstrap.js';
import { JudgekitError } from '../../errors.js';
import { aggregateValues, itemScore, type AggregateRule } from './score-aggregate.js';

export interface AutoRepeatsOptions {
  /** Repeats of every item before any decision. Default 2 (at least 2). */
  min?: number;
  /** Most repeats of any item. Default 8. */
  max?: number;
  /** Stop when every model's 95% CI is narrower than this many score points. Default: unset (separation or max only). */
  targetCiWidth?: number;
  /** Share of the total uncertainty the repeated items must hold. Default 0.8. */
  spendShare?: number;
}

export type AutoRepeatsSettings = Required<Omit<AutoRepeatsOptions, 'targetCiWidth'>> & { targetCiWidth: number | null };

export type AutoStopReason = 'separated' | 'ci-width' | 'max-repeats' | 'no-uncertain-items' | 'interrupted';

export const AUTO_STOP_EXPLANATIONS: Record<AutoStopReason, string> = {
  separated: 'every adjacent pair of models is separated (the 95% CI of the difference excludes 0)',
  'ci-width': "every model's 95% CI is narrower than the target width",
  'max-repeats': 'the maximum number of repeats was reached',
  'no-uncertain-items': 'no item is left whose repeats disagree, so more repeats cannot change the scores',
  interrupted: 'the run was interrupted before it could decide',
};

/** What results.json records of an auto-repeats run (`judges[].autoRepeats`). */
export interface AutoRepeatsRecord {
  settings: AutoRepeatsSettings;
  stopped: AutoStopReason;
  explanation: string;
  /** Repeats any item got. */
  repeats: number;
  /** Items judged in each repeat (repeat 0 first). */
  itemsPerRepeat: number[];
  judgments: number;
  /** The adjacent pairs when it stopped: difference of means and its 95% CI. */
  pairs: Array<{ higher: string; lower: string; difference: number; ci95: [number, number]; separated: boolean }>;
  /** Each model's 95% CI width when it stopped. */
  ciWidths: Record<string, number>;
}

export function autoRepeatsSettings(options: AutoRepeatsOptions = {}): AutoRepeatsSettings {
  const settings: AutoRepeatsSettings = { min: options.min ?? 2, max: options.max ?? 8, targetCiWidth: options.targetCiWidth ?? null, spendShare: options.spendShare ?? 0.8 };
  if (!Number.isInteger(settings.min) || settings.min < 2) throw new JudgekitError('usage', `repeats auto: min must be an integer >= 2 (two repeats are needed to see disagreement), got ${settings.min}.`);
  if (!Number.isInteger(settings.max) || settings.max < settings.min) throw new JudgekitError('usage', `repeats auto: max must be an integer >= min (${settings.min}), got ${settings.max}.`);
  if (settings.targetCiWidth !== null && !(settings.targetCiWidth > 0)) throw new JudgekitError('usage', `repeats auto: targetCiWidth must be a number > 0, got ${settings.targetCiWidth}.`);
  if (!(settings.spendShare > 0 && settings.spendShare <= 1)) throw new JudgekitError('usage', `repeats auto: spendShare must be in (0, 1], got ${settings.spendShare}.`);
  return settings;
}

/** `observed[model][item]`: the scores of the item's repeats so far (null = failed), only the repeats it got. */
export type ObservedScores = ReadonlyArray<ReadonlyArray<ReadonlyArray<number | null>>>;

export interface AutoRoundStatus {
  pairs: AutoRepeatsRecord['pairs'];
  ciWidths: number[];
}

export type AutoDecision = { stop: AutoStopReason; status: AutoRoundStatus } | { items: number[]; status: AutoRoundStatus };

function variance(values: readonly number[]): number {
  if (values.length < 2) return 0;
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  return ss / (values.length - 1);
}

/** Where the scores stand: adjacent pairs by mean (with paired-difference CIs) and each model's CI width. */
export function autoRoundStatus(observed: ObservedScores, modelNames: readonly string[], rule: AggregateRule, seed: number | string): AutoRoundStatus {
  const perItem = observed.map((items) => items.map((repeats) => itemScore(repeats, rule)));
  const means = perItem.map((items) => {
    const values = aggregateValues(items, rule);
    return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
  });
  const ciWidths = perItem.map((items) => {
    const [lo, hi] = bootstrapMeanCI(aggregateValues(items, rule), { seed });
    return hi - lo;
  });
  const order = modelNames.map((_, m) => m).filter((m) => !Number.isNaN(means[m] as number)).sort((a, b) => (means[b] as number) - (means[a] as number) || a - b);
  const pairs: AutoRepeatsRecord['pairs'] = [];
  for (let k = 0; k + 1 < order.length; k++) {
    const a = order[k] as number;
    const b = order[k + 1] as number;
    const xa = perItem[a] as Array<number | null>;
    const xb = perItem[b] as Array<number | null>;
    const differences: number[] = [];
    for (let i = 0; i < xa.length; i++) if (xa[i] !== null && xb[i] !== null) differences.push((xa[i] as number) - (xb[i] as number));
    const ci = bootstrapMeanCI(differences, { seed });
    const difference = differences.length === 0 ? Number.NaN : differences.reduce((s, d) => s + d, 0) / differences.length;
    pairs.push({ higher: modelNames[a] as string, lower: modelNames[b] as string, difference, ci95: ci, separated: ci[0] > 0 || ci[1] < 0 });
  }
  return { pairs, ciWidths };
}

/**
 * Before repeat `repeat` (>= settings.min): stop, and why, or the items to judge once more. `observed` holds the
 * scores of repeats 0..repeat-1 only, so a rerun that reads them back from the log makes the same decisions.
 */
export function decideAutoRound(observed: ObservedScores, modelNames: readonly string[], repeat: number, settings: AutoRepeatsSettings, rule: AggregateRule, seed: number | string): AutoDecision {
  const status = autoRoundStatus(observed, modelNames, rule, `${String(seed)}/auto/${repeat}`);
  const unresolved = status.pairs.filter((pair) => !pair.separated);
  if (status.pairs.length > 0 && unresolved.length === 0) return { stop: 'separated', status };
  const wide = modelNames.map((_, m) => m).filter((m) => settings.targetCiWidth !== null && !((status.ciWidths[m] as number) < settings.targetCiWidth));
  if (settings.targetCiWidth !== null && wide.length === 0) return { stop: 'ci-width', status };
  if (repeat >= settings.max) return { stop: 'max-repeats', status };
  const index = new Map(modelNames.map((name, m) => [name, m]));
  const items = observed[0]?.length ?? 0;
  const always: number[] = [];
  const ranked: Array<{ item: number; u: number }> = [];
  for (let i = 0; i < items; i++) {
    const usable = (m: number): number[] => ((observed[m] as ReadonlyArray<ReadonlyArray<number | null>>)[i] ?? []).map((v) => (v === null ? Number.NaN : v));
    const n = Math.min(...modelNames.map((_, m) => usable(m).filter((v) => !Number.isNaN(v)).length));
    // One usable repeat: repeat it to see whether the judge agrees with itself. None: the judge cannot score it; skip.
    if (n < 2) {
      if (n === 1) always.push(i);
      continue;
    }
    let u = 0;
    for (const pair of unresolved) {
      const a = usable(index.get(pair.higher) as number);
      const b = usable(index.get(pair.lower) as number);
      const d: number[] = [];
      for (let r = 0; r < Math.min(a.length, b.length); r++) if (!Number.isNaN(a[r] as number) && !Number.isNaN(b[r] as number)) d.push((a[r] as number) - (b[r] as number));
      if (d.length >= 2) u += variance(d) / d.length;
    }
    for (const m of wide) {
      const x = usable(m).filter((v) => !Number.isNaN(v));
      u += variance(x) / x.length;
    }
    if (u > 0) ranked.push({ item: i, u });
  }
  ranked.sort((p, q) => q.u - p.u || p.item - q.item);
  const total = ranked.reduce((s, r) => s + r.u, 0);
  const chosen = [...always];
  let held = 0;
  for (const entry of ranked) {
    if (held >= settings.spendShare * total - 1e-12) break;
    chosen.push(entry.item);
    held += entry.u;
  }
  if (chosen.length === 0) return { stop: 'no-uncertain-items', status };
  return { items: chosen.sort((a, b) => a - b), status };
}

// How often a judge changes its mind between identical repeats (the "Coin Flip Judge" measure): the share of
// scores that change from one repeat to another, the mean absolute change, and the share of items whose model
// order changes, each with a bootstrap CI over items. Pure: `scores[repeat][item][model]`, NaN = no score.
import { bootstrapCI, type BootstrapOptions } from './bootstrap.js';

export interface FlipRate {
  /** Repeats looked at (those with at least one score). */
  repeats: number;
  /** Items with at least one comparison. */
  items: number;
  /** (item, model, pair of repeats) units scored in both repeats of the pair. */
  comparisons: number;
  /** Share of comparisons whose two scores differ. NaN with fewer than 2 repeats. */
  flipRate: number;
  flipRateCi95: [number, number];
  /** Mean |score in repeat a - score in repeat b| over the comparisons, in score points. */
  meanAbsChange: number;
  meanAbsChangeCi95: [number, number];
  /** (item, pair of repeats) units where at least 2 models were scored in both repeats. */
  rankComparisons: number;
  /** Share of those units where the models' order on the item changes (some pair of models swaps or ties/unties). NaN with one model. */
  rankChangeRate: number;
  rankChangeRateCi95: [number, number];
}

interface ItemCounts {
  comparisons: number;
  flips: number;
  absChange: number;
  rankComparisons: number;
  rankChanges: number;
}

const NAN_CI: [number, number] = [Number.NaN, Number.NaN];

function sign(value: number): number {
  return value > 0 ? 1 : value < 0 ? -1 : 0;
}

/** Per item: the counts behind every figure, over all pairs of repeats (a < b). */
function itemCounts(scores: readonly (readonly (readonly number[])[])[], items: number): ItemCounts[] {
  const counts: ItemCounts[] = [];
  for (let i = 0; i < items; i++) {
    const c: ItemCounts = { comparisons: 0, flips: 0, absChange: 0, rankComparisons: 0, rankChanges: 0 };
    for (let a = 0; a < scores.length; a++) {
      for (let b = a + 1; b < scores.length; b++) {
        const x = scores[a]?.[i] ?? [];
        const y = scores[b]?.[i] ?? [];
        const both: number[] = [];
        for (let m = 0; m < Math.max(x.length, y.length); m++) {
          const u = x[m] as number;
          const v = y[m] as number;
          if (u === undefined || v === undefined || Number.isNaN(u) || Number.isNaN(v)) continue;
          both.push(m);
          c.comparisons++;
          if (u !== v) c.flips++;
          c.absChange += Math.abs(u - v);
        }
        if (both.length < 2) continue;
        c.rankComparisons++;
        let changed = false;
        for (let p = 0; p < both.length && !changed; p++) {
          for (let q = p + 1; q < both.length && !changed; q++) {
            const m = both[p] as number;
            const n = both[q] as number;
            if (sign((x[m] as number) - (x[n] as number)) !== sign((y[m] as number) - (y[n] as number))) changed = true;
          }
        }
        if (changed) c.rankChanges++;
      }
    }
    counts.push(c);
  }
  return counts;
}

function ratio(counts: readonly ItemCounts[], indices: ArrayLike<number> | undefined, top: (c: ItemCounts) => number, bottom: (c: ItemCounts) => number): number {
  let t = 0;
  let d = 0;
  const n = indices ? indices.length : counts.length;
  for (let k = 0; k < n; k++) {
    const c = counts[indices ? (indices[k] as number) : k] as ItemCounts;
    t += top(c);
    d += bottom(c);
  }
  return d === 0 ? Number.NaN : t / d;
}

/**
 * Flip rate, mean absolute change and rank-change rate of `scores[repeat][item][model]` over every pair of repeats.
 * Each figure is a ratio of sums over items (flips / comparisons), and its CI resamples items, so an item's
 * models and repeats stay together.
 */
export function flipRate(scores: readonly (readonly (readonly number[])[])[], options: BootstrapOptions = {}): FlipRate {
  const present = scores.filter((repeat) => repeat.some((row) => row.some((v) => !Number.isNaN(v))));
  const items = Math.max(0, ...present.map((repeat) => repeat.length));
  const counts = itemCounts(present, items).filter((c) => c.comparisons > 0);
  const figure = (top: (c: ItemCounts) => number, bottom: (c: ItemCounts) => number): { value: number; ci: [number, number] } => {
    const value = ratio(counts, undefined, top, bottom);
    if (Number.isNaN(value)) return { value, ci: NAN_CI };
    return { value, ci: bootstrapCI(counts.length, (indices) => ratio(counts, indices, top, bottom), options) };
  };
  const flips = figure((c) => c.flips, (c) => c.comparisons);
  const change = figure((c) => c.absChange, (c) => c.comparisons);
  const rank = figure((c) => c.rankChanges, (c) => c.rankComparisons);
  return {
    repeats: present.length,
    items: counts.length,
    comparisons: counts.reduce((s, c) => s + c.comparisons, 0),
    flipRate: flips.value,
    flipRateCi95: flips.ci,
    meanAbsChange: change.value,
    meanAbsChangeCi95: change.ci,
    rankComparisons: counts.reduce((s, c) => s + c.rankComparisons, 0),
    rankChangeRate: rank.value,
    rankChangeRateCi95: rank.ci,
  };
}

/**
 * Hook for categorical verdicts (e.g. pairwise A / B / tie per item and model pair): `verdicts[repeat][item][unit]`,
 * null = no verdict. The share of (item, unit, pair of repeats) whose verdict changes, with its CI over items.
 */
export function verdictFlipRate(verdicts: readonly (readonly (readonly (string | null)[])[])[], options: BootstrapOptions = {}): Pick<FlipRate, 'repeats' | 'items' | 'comparisons' | 'flipRate' | 'flipRateCi95'> {
  const codes = new Map<string, number>();
  const numeric = verdicts.map((repeat) =>
    repeat.map((row) =>
      row.map((v) => {
        if (v === null) return Number.NaN;
        if (!codes.has(v)) codes.set(v, codes.size);
        return codes.get(v) as number;
      }),
    ),
  );
  const { repeats, items, comparisons, flipRate: rate, flipRateCi95 } = flipRate(numeric, options);
  return { repeats, items, comparisons, flipRate: rate, flipRateCi95 };
}

// Judge-human agreement from blind ratings (`ratings.jsonl`): per judge, Krippendorff's alpha on scores normalised
// to 0-1, Kendall's tau per item, the share of model pairs ordered the same and Cohen's kappa on those pairwise
// preferences, each with a bootstrap CI over items; and inter-rater agreement when several people rated.
import type { RatingRecord, RatingScale } from '../run/ratings.js';
import { quantile, type BootstrapOptions } from './bootstrap.js';
import { seededRandom } from '../util/seeded-random.js';
import { kendallTauB } from './correlation.js';
import { itemModelMeans, type JudgeScores } from './judge-scores.js';

/** A pairwise preference between models a and b (a listed first): a better, b better, or a tie. */
export type Preference = 'a' | 'b' | 'tie';

export interface AgreementStatistics {
  /** Krippendorff's alpha (interval) with the judge and the human consensus as coders over item x model cells. */
  alpha: number;
  alphaCi95: [number, number];
  /** Mean over items of Kendall's tau-b between the two orderings of the models (items where it is defined). */
  kendallTau: number;
  kendallTauCi95: [number, number];
  /** Share of (item, model pair) comparisons where both give the same preference (a better, b better, tie). */
  pairwiseAgreement: number;
  pairwiseAgreementCi95: [number, number];
  /** Cohen's kappa on those preferences, each model pair counted in both orders (a, b) and (b, a). */
  kappa: number;
  kappaCi95: [number, number];
  /** Items with at least two models scored by both sides. */
  items: number;
  /** Model pairs compared. */
  pairs: number;
}

export interface JudgeHumanAgreement extends AgreementStatistics {
  judge: string;
  mode: string;
}

export interface InterRaterAgreement {
  raters: number;
  /** Krippendorff's alpha (interval) with raters as coders over item x model cells (0-1 scores). */
  alpha: number;
  alphaCi95: [number, number];
  /** Mean over rater pairs of Cohen's kappa on pairwise preferences (items both rated). */
  meanKappa: number;
  meanKappaCi95: [number, number];
  /** Items rated by at least two raters. */
  items: number;
}

export interface HumanAgreement {
  raters: string[];
  scales: RatingScale[];
  /** Items with at least one rating. */
  items: number;
  ratings: number;
  judges: JudgeHumanAgreement[];
  /** Present when at least two people rated. */
  interRater?: InterRaterAgreement;
}

/** A rating on a 0-1 scale: 0-100 divided by 100, 1-10 as (v - 1) / 9, rank r of n as (n - r) / (n - 1) (best 1). */
export function normalizeRating(value: number, scale: RatingScale, models: number): number {
  if (scale === '100') return value / 100;
  if (scale === '10') return (value - 1) / 9;
  return models > 1 ? (models - value) / (models - 1) : Number.NaN;
}

/** Cohen's kappa for two raters' labels of the same things (Cohen 1960): (p_o - p_e) / (1 - p_e); NaN when p_e = 1. */
export function cohenKappa<T>(a: readonly T[], b: readonly T[]): number {
  const n = Math.min(a.length, b.length);
  if (n === 0) return Number.NaN;
  let same = 0;
  const countA = new Map<T, number>();
  const countB = new Map<T, number>();
  for (let k = 0; k < n; k++) {
    const x = a[k] as T;
    const y = b[k] as T;
    if (x === y) same++;
    countA.set(x, (countA.get(x) ?? 0) + 1);
    countB.set(y, (countB.get(y) ?? 0) + 1);
  }
  const observed = same / n;
  let expected = 0;
  for (const [label, c] of countA) expected += (c / n) * ((countB.get(label) ?? 0) / n);
  if (expected >= 1) return Number.NaN;
  return (observed - expected) / (1 - expected);
}

function preference(x: number, y: number): Preference {
  return x > y ? 'a' : x < y ? 'b' : 'tie';
}

function flip(p: Preference): Preference {
  return p === 'a' ? 'b' : p === 'b' ? 'a' : 'tie';
}

/** Krippendorff's alpha (interval) sums of some units, so a resample of items adds numbers instead of re-pooling values. */
interface AlphaParts {
  /** Sum over units of 2 (m Σv² − (Σv)²) / (m − 1): the ordered-pair squared differences within units. */
  observed: number;
  /** Pairable values. */
  n: number;
  sum: number;
  squares: number;
}

/** Each unit: its values (missing ones left out); units with fewer than two values are not pairable. */
function alphaParts(units: readonly (readonly number[])[]): AlphaParts {
  const parts: AlphaParts = { observed: 0, n: 0, sum: 0, squares: 0 };
  for (const unit of units) {
    const m = unit.length;
    if (m < 2) continue;
    let sum = 0;
    let squares = 0;
    for (const v of unit) {
      sum += v;
      squares += v * v;
    }
    parts.observed += (2 * (m * squares - sum * sum)) / (m - 1);
    parts.n += m;
    parts.sum += sum;
    parts.squares += squares;
  }
  return parts;
}

/** The same formula as `krippendorffAlphaInterval`, from summed parts. */
function alphaFromParts(p: AlphaParts): number {
  if (p.n < 2) return Number.NaN;
  const expected = (2 * (p.n * p.squares - p.sum * p.sum)) / (p.n * (p.n - 1));
  return expected <= 0 ? Number.NaN : 1 - p.observed / p.n / expected;
}

const LABEL: Record<Preference, number> = { a: 0, b: 1, tie: 2 };

/** Cohen's kappa from a 3 x 3 table of counts, `counts[3 * first + second]`. */
function kappaFromCounts(counts: ArrayLike<number>): number {
  let total = 0;
  let same = 0;
  for (let k = 0; k < 9; k++) total += counts[k] as number;
  if (total === 0) return Number.NaN;
  let expected = 0;
  for (let x = 0; x < 3; x++) {
    same += counts[4 * x] as number;
    let row = 0;
    let column = 0;
    for (let y = 0; y < 3; y++) {
      row += counts[3 * x + y] as number;
      column += counts[3 * y + x] as number;
    }
    expected += (row / total) * (column / total);
  }
  return expected >= 1 ? Number.NaN : (same / total - expected) / (1 - expected);
}

/**
 * Two sides' preferences over the model pairs of one item both scored, as a 3 x 3 table of counts. Each pair is
 * counted in both orders, (a, b) and (b, a), so "a better" and "b better" do not depend on which model comes
 * first: otherwise a judge that always prefers the first-listed model has one label only and kappa collapses to 0.
 */
function preferenceCounts(first: readonly number[], second: readonly number[], both: readonly number[]): Float64Array {
  const counts = new Float64Array(9);
  for (let x = 0; x < both.length; x++) {
    for (let y = x + 1; y < both.length; y++) {
      const a = both[x] as number;
      const b = both[y] as number;
      const p = preference(first[a] as number, first[b] as number);
      const q = preference(second[a] as number, second[b] as number);
      (counts[3 * LABEL[p] + LABEL[q]] as number)++;
      (counts[3 * LABEL[flip(p)] + LABEL[flip(q)]] as number)++;
    }
  }
  return counts;
}

/** One item's share of every statistic: alpha sums, preference counts, Kendall tau-b. */
interface ItemComparison {
  /** Models scored by both sides. */
  models: number;
  alpha: AlphaParts;
  counts: Float64Array;
  tau: number;
}

function compareItem(first: readonly number[], second: readonly number[]): ItemComparison {
  const both: number[] = [];
  for (let m = 0; m < first.length; m++) if (Number.isFinite(first[m]) && Number.isFinite(second[m])) both.push(m);
  const x = both.map((m) => first[m] as number);
  const y = both.map((m) => second[m] as number);
  return {
    models: both.length,
    alpha: alphaParts(both.map((_, k) => [x[k] as number, y[k] as number])),
    counts: preferenceCounts(first, second, both),
    tau: both.length >= 2 ? kendallTauB(x, y) : Number.NaN,
  };
}

/** `bootstrapCI` for several statistics of the same resamples at once (one pass instead of one per statistic). */
function bootstrapCIs(n: number, statistics: (indices: Int32Array) => readonly number[], count: number, options: BootstrapOptions): Array<[number, number]> {
  if (n === 0) return Array.from({ length: count }, () => [Number.NaN, Number.NaN]);
  const resamples = options.resamples ?? 2000;
  const tail = (1 - (options.level ?? 0.95)) / 2;
  const random = seededRandom(options.seed ?? 20240601);
  const values = Array.from({ length: count }, () => [] as number[]);
  const indices = new Int32Array(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) indices[i] = Math.floor(random() * n);
    statistics(indices).forEach((v, k) => {
      if (Number.isFinite(v)) (values[k] as number[]).push(v);
    });
  }
  return values.map((list) => {
    list.sort((a, b) => a - b);
    return [quantile(list, tail), quantile(list, 1 - tail)];
  });
}

function statistics(compared: readonly ItemComparison[], indices: ArrayLike<number>): [alpha: number, tau: number, agreement: number, kappa: number] {
  const alpha: AlphaParts = { observed: 0, n: 0, sum: 0, squares: 0 };
  const counts = new Float64Array(9);
  let tauSum = 0;
  let tauCount = 0;
  for (let k = 0; k < indices.length; k++) {
    const item = compared[indices[k] as number] as ItemComparison;
    alpha.observed += item.alpha.observed;
    alpha.n += item.alpha.n;
    alpha.sum += item.alpha.sum;
    alpha.squares += item.alpha.squares;
    for (let c = 0; c < 9; c++) (counts[c] as number) += item.counts[c] as number;
    if (Number.isFinite(item.tau)) {
      tauSum += item.tau;
      tauCount++;
    }
  }
  let total = 0;
  for (let c = 0; c < 9; c++) total += counts[c] as number;
  const agreement = total === 0 ? Number.NaN : ((counts[0] as number) + (counts[4] as number) + (counts[8] as number)) / total;
  return [alphaFromParts(alpha), tauCount === 0 ? Number.NaN : tauSum / tauCount, agreement, kappaFromCounts(counts)];
}

/**
 * Agreement of two `[item][model]` tables of 0-1 scores (NaN = missing), e.g. a judge's item means and the
 * raters' consensus. CIs resample items (cells and pairs of one item stay together).
 */
export function scoreAgreement(first: readonly (readonly number[])[], second: readonly (readonly number[])[], bootstrap: BootstrapOptions = {}): AgreementStatistics {
  const compared = first.map((row, i) => compareItem(row, second[i] ?? [])).filter((c) => c.models >= 2);
  const all = compared.map((_, k) => k);
  const [alpha, kendallTau, pairwiseAgreement, kappa] = statistics(compared, all);
  const [alphaCi95, kendallTauCi95, pairwiseAgreementCi95, kappaCi95] = bootstrapCIs(compared.length, (indices) => statistics(compared, indices), 4, bootstrap) as Array<[number, number]>;
  return {
    alpha,
    alphaCi95: alphaCi95 as [number, number],
    kendallTau,
    kendallTauCi95: kendallTauCi95 as [number, number],
    pairwiseAgreement,
    pairwiseAgreementCi95: pairwiseAgreementCi95 as [number, number],
    kappa,
    kappaCi95: kappaCi95 as [number, number],
    items: compared.length,
    pairs: compared.reduce((s, c) => s + (c.models * (c.models - 1)) / 2, 0),
  };
}

/** `[rater][item][model]` 0-1 scores from the latest rating per rater and item (NaN where not rated). */
export function ratingTables(ratings: readonly RatingRecord[], models: readonly string[], items: readonly number[]): { raters: string[]; tables: number[][][] } {
  const raters = [...new Set(ratings.map((r) => r.rater))];
  const raterIndex = new Map(raters.map((r, k) => [r, k]));
  const itemIndex = new Map(items.map((it, k) => [it, k]));
  const modelIndex = new Map(models.map((m, k) => [m, k]));
  const tables = raters.map(() => items.map(() => models.map(() => Number.NaN)));
  for (const record of ratings) {
    const i = itemIndex.get(record.item);
    if (i === undefined) continue;
    const row = (tables[raterIndex.get(record.rater) as number] as number[][])[i] as number[];
    const n = record.order.length || Object.keys(record.scores).length;
    for (const [model, value] of Object.entries(record.scores)) {
      const m = modelIndex.get(model);
      if (m !== undefined) row[m] = normalizeRating(value, record.scale, n);
    }
  }
  return { raters, tables };
}

function meanOfFinite(values: readonly number[]): number {
  let sum = 0;
  let n = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    sum += v;
    n++;
  }
  return n === 0 ? Number.NaN : sum / n;
}

function interRater(tables: readonly number[][][], bootstrap: BootstrapOptions): InterRaterAgreement {
  const itemCount = tables[0]?.length ?? 0;
  const shared = Array.from({ length: itemCount }, (_, i) => i).filter((i) => tables.filter((t) => (t[i] as number[]).some(Number.isFinite)).length >= 2);
  const raterPairs: Array<[number, number]> = [];
  for (let a = 0; a < tables.length; a++) for (let b = a + 1; b < tables.length; b++) raterPairs.push([a, b]);
  const models = (tables[0]?.[0] ?? []).length;
  // Per shared item: the alpha sums with raters as coders and cells as units, and each rater pair's preference counts.
  const alphaPerItem = shared.map((i) =>
    alphaParts(Array.from({ length: models }, (_, m) => tables.map((t) => (t[i] as number[])[m] as number).filter(Number.isFinite))),
  );
  const countsPerItem = shared.map((i) => raterPairs.map(([a, b]) => compareItem((tables[a] as number[][])[i] as number[], (tables[b] as number[][])[i] as number[]).counts));
  const stats = (indices: ArrayLike<number>): [number, number] => {
    const alpha: AlphaParts = { observed: 0, n: 0, sum: 0, squares: 0 };
    const counts = raterPairs.map(() => new Float64Array(9));
    for (let k = 0; k < indices.length; k++) {
      const j = indices[k] as number;
      const parts = alphaPerItem[j] as AlphaParts;
      alpha.observed += parts.observed;
      alpha.n += parts.n;
      alpha.sum += parts.sum;
      alpha.squares += parts.squares;
      (countsPerItem[j] as Float64Array[]).forEach((c, p) => {
        const into = counts[p] as Float64Array;
        for (let x = 0; x < 9; x++) (into[x] as number) += c[x] as number;
      });
    }
    return [alphaFromParts(alpha), meanOfFinite(counts.map(kappaFromCounts))];
  };
  const all = shared.map((_, k) => k);
  const [alpha, meanKappa] = stats(all);
  const [alphaCi95, meanKappaCi95] = bootstrapCIs(shared.length, stats, 2, bootstrap);
  return {
    raters: tables.length,
    alpha,
    alphaCi95: alphaCi95 as [number, number],
    meanKappa,
    meanKappaCi95: meanKappaCi95 as [number, number],
    items: shared.length,
  };
}

export interface HumanAgreementInput {
  models: readonly string[];
  /** Item indices, in items.json order. */
  items: readonly number[];
  /** Latest rating per rater and item (`readRatings`). */
  ratings: readonly RatingRecord[];
  /** Judges' scores (0-100), e.g. from `collectJudgeScores` with failures dropped. */
  judges: readonly JudgeScores[];
}

/**
 * Judge-human agreement per judge against the raters' consensus (the mean of each cell's 0-1 ratings; a judge's
 * cell is its mean over repeats, divided by 100), and inter-rater agreement when several people rated.
 */
export function humanAgreement(input: HumanAgreementInput, bootstrap: BootstrapOptions = {}): HumanAgreement {
  const { raters, tables } = ratingTables(input.ratings, input.models, input.items);
  const consensus = input.items.map((_, i) => input.models.map((_, m) => meanOfFinite(tables.map((t) => (t[i] as number[])[m] as number))));
  const judges = input.judges.map((j) => {
    const rows = itemModelMeans(j);
    const rowOf = new Map(j.items.map((it, k) => [it, k]));
    const columnOf = new Map(j.models.map((m, k) => [m, k]));
    const means = input.items.map((it) => {
      const row = rows[rowOf.get(it) ?? -1];
      return input.models.map((m) => (row?.[columnOf.get(m) ?? -1] ?? Number.NaN) / 100);
    });
    return { judge: j.judge, mode: j.mode, ...scoreAgreement(means, consensus, bootstrap) };
  });
  const ratedItems = new Set(input.ratings.filter((r) => input.items.includes(r.item)).map((r) => r.item));
  return {
    raters,
    scales: [...new Set(input.ratings.map((r) => r.scale))],
    items: ratedItems.size,
    ratings: input.ratings.length,
    judges,
    ...(raters.length >= 2 ? { interRater: interRater(tables, bootstrap) } : {}),
  };
}

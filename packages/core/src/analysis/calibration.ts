// Judge meta-evaluation on answers of known quality (`judgekit calibrate`), and a panel judge that combines several
// judges weighted by their measured accuracy. Pure: scores in, statistics out (see docs/analysis.md, "Calibration").
//
// Inputs are `scores[item][level]` (a judge's item means over repeats, NaN = no score) and `known[item][level]`
// (the known tier of each answer, see known-quality-set.ts). A pair of answers to one item is known-ordered when
// their tiers differ.
import { bootstrapCI, bootstrapMeanCI, mean, type BootstrapOptions } from './bootstrap.js';
import { kendallTauB } from './correlation.js';
import { itemModelMeans, type JudgeScores } from './judge-scores.js';
import { flipRate, type FlipRate } from './flip-rate.js';
import { positionBias } from './position-bias.js';

export interface OrderingCounts {
  /** Known-ordered pairs with both answers scored. */
  pairs: number;
  /** Pairs scored the known way round (better answer higher). */
  correct: number;
  /** Pairs scored equal (each counts ½). */
  ties: number;
  /** Known-ordered pairs left out because an answer has no score. */
  unscored: number;
}

/** Per item: the known-ordered pairs scored right, tied and wrong. */
export function itemOrderingCounts(scores: readonly number[], known: readonly number[]): OrderingCounts {
  const counts: OrderingCounts = { pairs: 0, correct: 0, ties: 0, unscored: 0 };
  for (let a = 0; a < known.length; a++) {
    for (let b = 0; b < known.length; b++) {
      const ka = known[a] as number;
      const kb = known[b] as number;
      if (!(ka > kb)) continue;
      const sa = scores[a] as number;
      const sb = scores[b] as number;
      if (Number.isNaN(sa) || Number.isNaN(sb)) {
        counts.unscored++;
        continue;
      }
      counts.pairs++;
      if (sa > sb) counts.correct++;
      else if (sa === sb) counts.ties++;
    }
  }
  return counts;
}

/** One pairwise verdict on an item (pairwise judges): answers `a` (shown first) and `b` as level indices. */
export interface LevelComparison {
  a: number;
  b: number;
  /** `A`: the first answer is better; `B`: the second; `tie`; null: no usable verdict. */
  winner: 'A' | 'B' | 'tie' | null;
}

/**
 * Per item, from a pairwise judge's own verdicts: each verdict on a known-ordered pair is right when it names the
 * better answer, ½ when a tie. Verdicts on pairs that are not known-ordered are not counted; no verdict is `unscored`.
 */
export function itemComparisonCounts(comparisons: readonly LevelComparison[], known: readonly number[]): OrderingCounts {
  const counts: OrderingCounts = { pairs: 0, correct: 0, ties: 0, unscored: 0 };
  for (const c of comparisons) {
    const ka = known[c.a] as number;
    const kb = known[c.b] as number;
    if (ka === undefined || kb === undefined || Number.isNaN(ka) || Number.isNaN(kb) || ka === kb) continue;
    if (c.winner === null) {
      counts.unscored++;
      continue;
    }
    counts.pairs++;
    if (c.winner === 'tie') counts.ties++;
    else if ((c.winner === 'A') === ka > kb) counts.correct++;
  }
  return counts;
}

/** Pairwise ordering accuracy: (right + ½·tied) / known-ordered pairs, pooled over the given items. NaN with no pair. */
export function orderingAccuracy(perItem: readonly OrderingCounts[], indices?: ArrayLike<number>): number {
  let credit = 0;
  let pairs = 0;
  const n = indices ? indices.length : perItem.length;
  for (let k = 0; k < n; k++) {
    const c = perItem[indices ? (indices[k] as number) : k] as OrderingCounts;
    credit += c.correct + 0.5 * c.ties;
    pairs += c.pairs;
  }
  return pairs === 0 ? Number.NaN : credit / pairs;
}

/**
 * Kendall's tau-b between the known tiers and the judge's scores on one item, over the scored answers. NaN when
 * fewer than two answers are scored or the known tiers are all equal; 0 when the judge gives every answer the same
 * score (tau-b is undefined there; the judge orders nothing, and leaving the item out would flatter it).
 */
export function itemKendallTau(scores: readonly number[], known: readonly number[]): number {
  const x: number[] = [];
  const y: number[] = [];
  for (let l = 0; l < known.length; l++) {
    if (Number.isNaN(scores[l] as number) || Number.isNaN(known[l] as number)) continue;
    x.push(known[l] as number);
    y.push(scores[l] as number);
  }
  if (x.length < 2 || x.every((v) => v === x[0])) return Number.NaN;
  if (y.every((v) => v === y[0])) return 0;
  return kendallTauB(x, y);
}

export interface CalibrationCost {
  /** Requests paid for (spend log), and their tokens. */
  requests: number;
  promptTokens: number;
  completionTokens: number;
  /** USD at the price table's price; null when the model has no price. */
  usd: number | null;
}

export interface JudgeCalibration {
  judge: string;
  mode: string;
  provider: string;
  model: string;
  items: number;
  repeats: number;
  /** Mean score of each level over items (its item means over repeats), in level order. */
  levels: Array<{ level: string; mean: number; scored: number }>;
  /**
   * `basis` "scores": pairs of the judge's scores (item means over repeats); "comparisons": a pairwise judge's own
   * verdicts, every order and repeat counted (`pairs` are then verdicts).
   */
  accuracy: { value: number; ci95: [number, number]; basis: 'scores' | 'comparisons' } & OrderingCounts;
  kendallTau: {
    mean: number;
    ci95: [number, number];
    /** Items with a tau. */
    items: number;
    /** Items where the judge gave every answer the same score (tau counted as 0). */
    constantItems: number;
  };
  /** Batched judges: slot effects from position-bias.ts (points vs the average slot); null without positions. */
  slotBias: { effectRange: number; slots: Array<{ slot: number; effect: number; ci95: [number, number] }> } | null;
  /** Between identical repeats (flip-rate.ts); null with one repeat. */
  flip: FlipRate | null;
  /** What the judging cost, in total and per item (all of an item's answers and repeats). */
  cost: (CalibrationCost & { perItemUsd: number | null; requestsPerItem: number; tokensPerItem: number }) | null;
  /** Panel weight from the accuracy: max(accuracy − 0.5, 0) (before normalising). */
  weight: number;
}

/** Panel weight of a judge with this pairwise ordering accuracy: max(accuracy − 0.5, 0); 0 for NaN. */
export function panelWeight(accuracy: number): number {
  return Number.isFinite(accuracy) ? Math.max(accuracy - 0.5, 0) : 0;
}

/** Calibration of one judge; `judge.models` are the levels, `known[item][level]` in the same orders. */
export function calibrateJudge(judge: JudgeScores, known: readonly (readonly number[])[], options: { bootstrap?: BootstrapOptions; cost?: CalibrationCost; comparisons?: ReadonlyArray<readonly LevelComparison[]> } = {}): JudgeCalibration {
  return calibrateScores({ ...judge, means: itemModelMeans(judge) }, known, { ...options, raw: judge });
}

/**
 * The statistics from item means (`means[item][level]`); slot bias and flip rate also need the judge's raw scores
 * by repeat with their slots (`raw`), which a panel does not have.
 */
export function calibrateScores(
  judge: Pick<JudgeScores, 'judge' | 'mode' | 'provider' | 'model' | 'models' | 'items'> & { means: number[][] },
  known: readonly (readonly number[])[],
  options: { bootstrap?: BootstrapOptions; cost?: CalibrationCost; raw?: JudgeScores; comparisons?: ReadonlyArray<readonly LevelComparison[]> } = {},
): JudgeCalibration {
  const raw = options.raw;
  const comparisons = options.comparisons;
  const bootstrap = options.bootstrap ?? {};
  const I = judge.items.length;
  const perItem = comparisons ? judge.means.map((_, i) => itemComparisonCounts(comparisons[i] ?? [], known[i] ?? [])) : judge.means.map((row, i) => itemOrderingCounts(row, known[i] ?? []));
  const totals = perItem.reduce<OrderingCounts>((s, c) => ({ pairs: s.pairs + c.pairs, correct: s.correct + c.correct, ties: s.ties + c.ties, unscored: s.unscored + c.unscored }), { pairs: 0, correct: 0, ties: 0, unscored: 0 });
  const accuracy = orderingAccuracy(perItem);
  const accuracyCi = bootstrapCI(I, (indices) => orderingAccuracy(perItem, indices), bootstrap);
  const taus = judge.means.map((row, i) => itemKendallTau(row, known[i] ?? []));
  const finiteTaus = taus.filter((t) => Number.isFinite(t));
  const constantItems = judge.means.filter((row, i) => {
    const scored = row.filter((v, l) => !Number.isNaN(v) && !Number.isNaN((known[i] ?? [])[l] as number));
    return scored.length >= 2 && scored.every((v) => v === scored[0]) && Number.isFinite(taus[i] as number);
  }).length;
  const levels = judge.models.map((level, l) => {
    const values = judge.means.map((row) => row[l] as number).filter((v) => !Number.isNaN(v));
    return { level, mean: values.length === 0 ? Number.NaN : mean(values), scored: values.length };
  });
  let slotBias: JudgeCalibration['slotBias'] = null;
  if (raw) {
    const bias = positionBias(raw, bootstrap);
    if (bias) slotBias = { effectRange: bias.effectRange, slots: bias.slots.map((s) => ({ slot: s.slot, effect: s.effect, ci95: s.effectCi95 })) };
  }
  const cost = options.cost
    ? {
        ...options.cost,
        perItemUsd: options.cost.usd === null || I === 0 ? null : options.cost.usd / I,
        requestsPerItem: I === 0 ? Number.NaN : options.cost.requests / I,
        tokensPerItem: I === 0 ? Number.NaN : (options.cost.promptTokens + options.cost.completionTokens) / I,
      }
    : null;
  return {
    judge: judge.judge,
    mode: judge.mode,
    provider: judge.provider,
    model: judge.model,
    items: I,
    repeats: raw?.repeats.length ?? 1,
    levels,
    accuracy: { value: accuracy, ci95: accuracyCi, basis: comparisons ? 'comparisons' : 'scores', ...totals },
    kendallTau: { mean: finiteTaus.length === 0 ? Number.NaN : mean(finiteTaus), ci95: bootstrapMeanCI(finiteTaus, bootstrap), items: finiteTaus.length, constantItems },
    slotBias,
    flip: raw && raw.scores.length >= 2 ? flipRate(raw.scores, bootstrap) : null,
    cost,
    weight: panelWeight(accuracy),
  };
}

/** Normalised panel weights ∝ max(accuracy − 0.5, 0); all zero when no judge beats chance. */
export function panelWeights(accuracies: readonly number[]): number[] {
  const raw = accuracies.map(panelWeight);
  const total = raw.reduce((s, w) => s + w, 0);
  return raw.map((w) => (total === 0 ? 0 : w / total));
}

/**
 * The panel's score of each (item, model): the weighted mean of the member judges' item means over repeats, over
 * the members that scored it (weights renormalised over those). NaN where no member with weight > 0 scored it.
 */
export function panelItemMeans(members: readonly (readonly (readonly number[])[])[], weights: readonly number[]): number[][] {
  const first = members[0] ?? [];
  return first.map((row, i) =>
    row.map((_, m) => {
      let sum = 0;
      let total = 0;
      members.forEach((means, j) => {
        const w = weights[j] as number;
        const v = ((means[i] ?? []) as number[])[m] as number;
        if (w > 0 && !Number.isNaN(v)) {
          sum += w * v;
          total += w;
        }
      });
      return total === 0 ? Number.NaN : sum / total;
    }),
  );
}

export interface PanelScores {
  /** Member judges with their accuracy and normalised weight. */
  members: Array<{ judge: string; accuracy: number; weight: number }>;
  /** Per model: mean over items of the panel's item score, 95% bootstrap CI over items. */
  models: Array<{ model: string; score: number; ci95: [number, number]; items: number }>;
  /** `[item][model]` panel scores. */
  means: number[][];
}

/**
 * A panel of judges that scored the same models and items (`JudgeScores` with equal `models` and `items`), weighted
 * by their calibration accuracy. Null when no member has a weight above 0 (no judge beats chance).
 */
export function panelScores(judges: readonly JudgeScores[], accuracies: readonly number[], bootstrap: BootstrapOptions = {}): PanelScores | null {
  const weights = panelWeights(accuracies);
  if (judges.length === 0 || weights.every((w) => w === 0)) return null;
  const means = panelItemMeans(
    judges.map((judge) => itemModelMeans(judge)),
    weights,
  );
  const models = (judges[0] as JudgeScores).models.map((model, m) => {
    const values = means.map((row) => row[m] as number).filter((v) => !Number.isNaN(v));
    return { model, score: values.length === 0 ? Number.NaN : mean(values), ci95: bootstrapMeanCI(values, bootstrap), items: values.length };
  });
  return { members: judges.map((judge, j) => ({ judge: judge.judge, accuracy: accuracies[j] as number, weight: weights[j] as number })), models, means };
}

/** `calibration.json`, written by `judgekit calibrate` and read by `judgekit report`. */
export interface CalibrationFile {
  tool: 'judgekit';
  kind: 'calibration';
  version: 1;
  /** The dataset the known-quality set was built from, as given. */
  dataset: string;
  seed: number;
  items: number;
  levels: string[];
  knownOrder: string;
  /** How panel weights follow from accuracy: `max(accuracy − 0.5, 0), normalised over the members`. */
  weighting: string;
  judges: JudgeCalibration[];
  /**
   * With two or more judges: the accuracy-weighted panel on the same set. In-sample: its weights were measured on
   * these items, so its accuracy here is optimistic.
   */
  panel?: { members: PanelScores['members']; calibration: JudgeCalibration; inSample: true };
}

import { describe, expect, it } from 'vitest';
import type { JudgeScores } from './judge-scores.js';
import { calibrateJudge, itemComparisonCounts, itemKendallTau, itemOrderingCounts, orderingAccuracy, panelItemMeans, panelScores, panelWeight, panelWeights } from './calibration.js';

const KNOWN = [4, 3, 2, 1, 0, 0];
const LEVELS = ['reference', 'keep-75', 'keep-50', 'keep-25', 'other-item', 'empty'];

/** A JudgeScores over the six levels from `scores[repeat][item][level]`, slots as given (0 = unknown). */
function judgeScores(scores: number[][][], positions?: number[][][], judge = 'j'): JudgeScores {
  const items = scores[0]!.length;
  return {
    judge,
    mode: 'single',
    provider: 'openai',
    model: 'm',
    models: LEVELS.slice(0, scores[0]![0]!.length),
    items: Array.from({ length: items }, (_, i) => i),
    repeats: scores.map((_, r) => r),
    scores,
    positions: positions ?? scores.map((rep) => rep.map((row) => row.map(() => 0))),
    comments: scores.map((rep) => rep.map((row) => row.map(() => ''))),
    scored: LEVELS.map(() => 1),
    failed: LEVELS.map(() => 0),
    usage: { records: 0, calls: 0, cachedCalls: 0, attempts: 0, promptTokens: 0, completionTokens: 0 },
  };
}

describe('pairwise ordering accuracy', () => {
  it('counts 13 of 14 known-ordered pairs right and one tie (keep-75 = keep-50) as 13.5/14', () => {
    const counts = itemOrderingCounts([90, 70, 70, 40, 10, 10], KNOWN);
    expect(counts).toEqual({ pairs: 14, correct: 13, ties: 1, unscored: 0 });
    expect(orderingAccuracy([counts])).toBeCloseTo(13.5 / 14, 12);
  });

  it('is 0 for a judge that reverses the order and 0.5 for one that scores everything the same', () => {
    expect(orderingAccuracy([itemOrderingCounts([0, 10, 20, 30, 40, 50], KNOWN)])).toBe(0);
    expect(orderingAccuracy([itemOrderingCounts([50, 50, 50, 50, 50, 50], KNOWN)])).toBe(0.5);
  });

  it('leaves out pairs with an unscored answer and pools the remaining pairs over items', () => {
    const a = itemOrderingCounts([90, Number.NaN, 50, 40, 10, 0], KNOWN);
    // keep-75 unscored: its 5 pairs (reference > it, it > the 4 lower answers) are left out.
    expect(a).toEqual({ pairs: 9, correct: 9, ties: 0, unscored: 5 });
    const b = itemOrderingCounts([0, 10, 20, 30, 40, 50], KNOWN);
    expect(orderingAccuracy([a, b])).toBeCloseTo(9 / 23, 12);
    expect(orderingAccuracy([a, b], [0, 0, 1])).toBeCloseTo(18 / 32, 12);
  });
});

describe('pairwise ordering accuracy from a pairwise judge\'s verdicts', () => {
  it('counts a verdict right when it names the better answer in either order, a tie as ½, and skips pairs not known-ordered', () => {
    const counts = itemComparisonCounts(
      [
        { a: 0, b: 1, winner: 'A' }, // reference first, picked: right
        { a: 1, b: 0, winner: 'B' }, // reference second, picked: right
        { a: 3, b: 4, winner: 'B' }, // other-item over keep-25: wrong
        { a: 2, b: 3, winner: 'tie' }, // keep-50 vs keep-25 tied: ½
        { a: 4, b: 5, winner: 'A' }, // other-item vs empty: not ordered, not counted
        { a: 0, b: 5, winner: null }, // no verdict
      ],
      KNOWN,
    );
    expect(counts).toEqual({ pairs: 4, correct: 2, ties: 1, unscored: 1 });
    expect(orderingAccuracy([counts])).toBeCloseTo(2.5 / 4, 12);
  });
});

describe('Kendall tau against the known order', () => {
  it('is sqrt(14/15) for a judge that orders all six answers, the two wrong ones included (tau-b with one tie in the known order)', () => {
    expect(itemKendallTau([6, 5, 4, 3, 2, 1], KNOWN)).toBeCloseTo(Math.sqrt(14 / 15), 12);
  });

  it('is 1 when the judge ties exactly the pair the known order ties, -1 reversed, 0 for a constant judge, NaN with one scored answer', () => {
    expect(itemKendallTau([100, 80, 60, 40, 0, 0], KNOWN)).toBeCloseTo(1, 12);
    expect(itemKendallTau([0, 20, 40, 60, 100, 100], KNOWN)).toBeCloseTo(-1, 12);
    expect(itemKendallTau([50, 50, 50, 50, 50, 50], KNOWN)).toBe(0);
    expect(itemKendallTau([50, Number.NaN, Number.NaN, Number.NaN, Number.NaN, Number.NaN], KNOWN)).toBeNaN();
  });
});

describe('calibrateJudge', () => {
  it('reports accuracy, mean tau, per-level means, the panel weight and cost per item for hand-made scores', () => {
    // Item 0 perfect (14/14, tau 1); item 1 swaps keep-50 and keep-25 (13/14).
    const judge = judgeScores([
      [
        [100, 80, 60, 40, 0, 0],
        [100, 80, 40, 60, 0, 0],
      ],
    ]);
    const c = calibrateJudge(judge, [KNOWN, KNOWN], { bootstrap: { resamples: 200, seed: 1 }, cost: { requests: 12, promptTokens: 1200, completionTokens: 60, usd: 0.0024 } });
    expect(c.accuracy.value).toBeCloseTo(27 / 28, 12);
    expect(c.accuracy.pairs).toBe(28);
    expect(c.accuracy.ci95[0]).toBeGreaterThanOrEqual(13 / 14 - 1e-12);
    expect(c.accuracy.ci95[1]).toBeLessThanOrEqual(1);
    // tau-b of item 1: 15 pairs, the same pair tied in both (other-item, empty), 13 concordant, 1 discordant: 12/14.
    expect(c.kendallTau.mean).toBeCloseTo((1 + 12 / 14) / 2, 12);
    expect(c.levels.map((l) => l.mean)).toEqual([100, 80, 50, 50, 0, 0]);
    expect(c.weight).toBeCloseTo(27 / 28 - 0.5, 12);
    expect(c.cost).toMatchObject({ perItemUsd: 0.0012, requestsPerItem: 6, tokensPerItem: 630 });
    expect(c.flip).toBeNull();
    expect(c.slotBias).toBeNull();
  });

  it('measures flip rate between repeats and slot bias when the answers carry slots', () => {
    // Two repeats; in repeat 1 the judge adds 5 points to whatever sits in slot 1 (the reference on item 0, keep-25 on item 1).
    const base = [
      [90, 70, 50, 30, 10, 10],
      [90, 70, 50, 30, 10, 10],
    ];
    const rep1 = base.map((row, i) => row.map((v, l) => v + ((i === 0 && l === 0) || (i === 1 && l === 3) ? 5 : 0)));
    const slots = [
      [1, 2, 3, 4, 5, 6],
      [4, 2, 3, 1, 5, 6],
    ];
    const c = calibrateJudge(judgeScores([base, rep1], [slots, slots]), [KNOWN, KNOWN], { bootstrap: { resamples: 200, seed: 1 } });
    // 12 (item, answer) cells compared, 2 changed.
    expect(c.flip?.flipRate).toBeCloseTo(2 / 12, 12);
    expect(c.slotBias?.slots).toHaveLength(6);
    expect(c.slotBias!.slots[0]!.effect).toBeGreaterThan(c.slotBias!.slots[1]!.effect);
  });
});

describe('panel', () => {
  it('weights judges by max(accuracy − 0.5, 0), normalised', () => {
    expect(panelWeight(0.9)).toBeCloseTo(0.4, 12);
    expect(panelWeight(0.3)).toBe(0);
    expect(panelWeight(Number.NaN)).toBe(0);
    const w = panelWeights([0.9, 0.7, 0.4]);
    expect(w[0]).toBeCloseTo(2 / 3, 12);
    expect(w[1]).toBeCloseTo(1 / 3, 12);
    expect(w[2]).toBe(0);
    expect(panelWeights([0.5, 0.2])).toEqual([0, 0]);
  });

  it('takes the weighted mean of the members\' item means, renormalising over the members that scored a cell', () => {
    const means = panelItemMeans(
      [
        [
          [80, 20],
          [60, Number.NaN],
        ],
        [
          [50, 50],
          [30, 40],
        ],
      ],
      [2 / 3, 1 / 3],
    );
    expect(means[0]![0]).toBeCloseTo(70, 12);
    expect(means[0]![1]).toBeCloseTo(30, 12);
    expect(means[1]![0]).toBeCloseTo(50, 12);
    expect(means[1]![1]).toBeCloseTo(40, 12);
  });

  it('scores each model as the mean of its panel item scores with a bootstrap CI, and is null when no judge beats chance', () => {
    const a = judgeScores([[[80, 20], [60, 40]]], undefined, 'a');
    const b = judgeScores([[[50, 50], [30, 40]]], undefined, 'b');
    const panel = panelScores([a, b], [0.9, 0.7], { resamples: 200, seed: 1 });
    expect(panel?.members.map((m) => m.weight)).toEqual([expect.closeTo(2 / 3, 12), expect.closeTo(1 / 3, 12)]);
    // Item means: model 0: 70, 50 -> 60; model 1: 30, 40 -> 35.
    expect(panel?.models[0]?.score).toBeCloseTo(60, 12);
    expect(panel?.models[1]?.score).toBeCloseTo(35, 12);
    expect(panel?.models[0]?.ci95[0]).toBeGreaterThanOrEqual(50 - 1e-9);
    expect(panel?.models[0]?.ci95[1]).toBeLessThanOrEqual(70 + 1e-9);
    expect(panelScores([a, b], [0.5, 0.4])).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { flipRate, verdictFlipRate } from './flip-rate.js';

const N = Number.NaN;

describe('flipRate', () => {
  // Two repeats, four items, two models. Hand count:
  //   item 0: no change;  item 1: model 0 50 -> 55 (tie becomes an order);  item 2: both models change by 30 and swap;
  //   item 3: model 0 unscored in repeat 0, model 1 10 -> 10.
  const scores = [
    [[80, 60], [50, 50], [70, 40], [N, 10]],
    [[80, 60], [55, 50], [40, 70], [20, 10]],
  ];

  it('counts 3 flips in 7 scored comparisons, 65/7 points of mean change and 2 order changes in 3 items', () => {
    const result = flipRate(scores, { resamples: 500 });
    expect(result.repeats).toBe(2);
    expect(result.items).toBe(4);
    expect(result.comparisons).toBe(7);
    expect(result.flipRate).toBeCloseTo(3 / 7, 12);
    expect(result.meanAbsChange).toBeCloseTo(65 / 7, 12);
    expect(result.rankComparisons).toBe(3);
    expect(result.rankChangeRate).toBeCloseTo(2 / 3, 12);
  });

  it('gives bootstrap intervals over items that contain each estimate and stay within the possible range', () => {
    const result = flipRate(scores, { resamples: 500, seed: 7 });
    for (const [value, [lo, hi], max] of [
      [result.flipRate, result.flipRateCi95, 1],
      [result.meanAbsChange, result.meanAbsChangeCi95, 100],
      [result.rankChangeRate, result.rankChangeRateCi95, 1],
    ] as const) {
      expect(lo).toBeLessThanOrEqual(value);
      expect(hi).toBeGreaterThanOrEqual(value);
      expect(lo).toBeGreaterThanOrEqual(0);
      expect(hi).toBeLessThanOrEqual(max);
      expect(hi).toBeGreaterThan(lo);
    }
  });

  it('compares every pair of three repeats: 10, 10, 20 flips in 2 of 3 pairs with a mean change of 20/3', () => {
    const result = flipRate([[[10]], [[10]], [[20]]]);
    expect(result.comparisons).toBe(3);
    expect(result.flipRate).toBeCloseTo(2 / 3, 12);
    expect(result.meanAbsChange).toBeCloseTo(20 / 3, 12);
    // One model: no order to change.
    expect(result.rankComparisons).toBe(0);
    expect(result.rankChangeRate).toBeNaN();
  });

  it('is NaN with a single repeat, and ignores a repeat that has no score at all', () => {
    expect(flipRate([[[10, 20]]]).flipRate).toBeNaN();
    const withEmpty = flipRate([[[10, 20]], [[N, N]], [[10, 25]]]);
    expect(withEmpty.repeats).toBe(2);
    expect(withEmpty.flipRate).toBeCloseTo(1 / 2, 12);
  });

  it('counts categorical verdict flips for the pairwise hook: one change in three verdict comparisons (one has no verdict)', () => {
    const result = verdictFlipRate([
      [['A', 'tie'], ['B', null]],
      [['A', 'B'], ['B', 'A']],
    ]);
    expect(result.comparisons).toBe(3);
    expect(result.flipRate).toBeCloseTo(1 / 3, 12);
  });
});

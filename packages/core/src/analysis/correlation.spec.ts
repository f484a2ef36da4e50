import { describe, expect, it } from 'vitest';
import { averageRanks, kendallTauB, kendallW, normalQuantile, pearson, pearsonFisherCI, spearman } from './correlation.js';

const X = [1, 2, 3, 4, 5];
const Y = [2, 4, 5, 4, 5];

describe('correlations (hand-computed)', () => {
  it.each([
    // sxy = 6, sxx = 10, syy = 6
    ['pearson', pearson(X, Y), 6 / Math.sqrt(60)],
    // ranks of Y: 1, 2.5, 4.5, 2.5, 4.5 -> sxy = 7, syy = 9
    ['spearman', spearman(X, Y), 7 / Math.sqrt(90)],
    // 7 concordant, 1 discordant, 2 ties in Y of 10 pairs
    ['kendall tau-b', kendallTauB(X, Y), 6 / Math.sqrt(10 * 8)],
    ['pearson, perfect negative', pearson([1, 2, 3], [9, 6, 3]), -1],
    ['spearman, monotone but not linear', spearman([1, 2, 3, 4], [1, 10, 100, 1000]), 1],
    ['tau-b, reversed', kendallTauB([1, 2, 3], [3, 2, 1]), -1],
  ])('%s', (_, actual, expected) => {
    expect(actual).toBeCloseTo(expected, 10);
  });

  it('skips NaN pairs and returns NaN without variance', () => {
    expect(pearson([1, 2, Number.NaN, 3], [2, 4, 100, 6])).toBeCloseTo(1, 12);
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(pearson([1], [1])).toBeNaN();
    expect(kendallTauB([1, 1], [1, 2])).toBeNaN();
  });

  it('average ranks share ties', () => {
    expect(averageRanks([10, 30, 20, 30])).toEqual([1, 3.5, 2, 3.5]);
  });

  it.each([
    ['perfect agreement', [[1, 2, 3], [10, 20, 30], [5, 6, 7]], 1],
    // rank sums 4, 6, 8 -> S = 8; W = 12 * 8 / (9 * 24)
    ['partial agreement', [[1, 2, 3], [1, 3, 2], [2, 1, 3]], 96 / 216],
    // every rater ties everything: no ordering to agree on
    ['all tied', [[1, 1], [2, 2]], Number.NaN],
  ])('Kendall W: %s', (_, ratings, expected) => {
    const w = kendallW(ratings);
    if (Number.isNaN(expected)) expect(w).toBeNaN();
    else expect(w).toBeCloseTo(expected, 10);
  });

  it('normal quantile and Fisher CI', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 10);
    const [lo, hi] = pearsonFisherCI(0.5, 103);
    // z = 0.549306, se = 0.1 -> tanh(0.549306 -+ 0.195996)
    expect(lo).toBeCloseTo(Math.tanh(0.5493061 - 0.1959964), 5);
    expect(hi).toBeCloseTo(Math.tanh(0.5493061 + 0.1959964), 5);
  });
});

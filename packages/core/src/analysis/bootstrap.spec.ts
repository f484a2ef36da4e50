import { describe, expect, it } from 'vitest';
import { bootstrapCI, bootstrapMeanCI, mean, quantile } from './bootstrap.js';

describe('bootstrap', () => {
  it.each([
    [[1, 2, 3, 4], 2.5],
    [[10], 10],
    [[], Number.NaN],
  ])('mean(%j) = %d', (values, expected) => {
    expect(mean(values)).toEqual(expected);
  });

  it.each([
    [[1, 2, 3, 4, 5], 0, 1],
    [[1, 2, 3, 4, 5], 0.5, 3],
    [[1, 2, 3, 4, 5], 0.25, 2],
    [[0, 10], 0.75, 7.5],
  ])('quantile(%j, %d) = %d', (sorted, q, expected) => {
    expect(quantile(sorted, q)).toBe(expected);
  });

  it('brackets the mean, is degenerate for constant data, and repeats for a seed', () => {
    const values = Array.from({ length: 100 }, (_, i) => (i * 37) % 101);
    const [lo, hi] = bootstrapMeanCI(values, { seed: 1 });
    expect(lo).toBeLessThan(mean(values));
    expect(hi).toBeGreaterThan(mean(values));
    // The standard error of this mean is about 2.9, so the 95% interval is about +-5.7 wide.
    expect(hi - lo).toBeGreaterThan(8);
    expect(hi - lo).toBeLessThan(15);
    expect(bootstrapMeanCI(values, { seed: 1 })).toEqual([lo, hi]);
    expect(bootstrapMeanCI([7, 7, 7], { seed: 1 })).toEqual([7, 7]);
  });

  it.each([
    ['integers', Array.from({ length: 110 }, (_, i) => (i * 37) % 101), 123],
    ['fractions and negatives', Array.from({ length: 17 }, (_, i) => Math.sin(i) * 3.5), 'judge/x'],
    ['one value', [42], 5],
    ['an infinite value (its resamples are dropped)', [1, 2, Number.POSITIVE_INFINITY, 4, 5, 6, 7, 8], 9],
  ])('the mean shortcut gives exactly the general bootstrap with a mean statistic: %s', (_name, values, seed) => {
    const general = bootstrapCI(
      values.length,
      (indices) => {
        let sum = 0;
        for (const i of indices) sum += values[i] as number;
        return sum / indices.length;
      },
      { seed, resamples: 500 },
    );
    expect(bootstrapMeanCI(values, { seed, resamples: 500 })).toEqual(general);
  });
});

import { describe, expect, it } from 'vitest';
import { krippendorffAlphaInterval } from './krippendorff-alpha.js';

describe('krippendorffAlphaInterval', () => {
  it("matches Krippendorff's worked example with missing data (interval alpha = 0.849)", () => {
    // Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", example C: 4 coders, 12 units.
    const _ = null;
    const data = [
      [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
      [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
      [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
      [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _],
    ];
    expect(krippendorffAlphaInterval(data)).toBeCloseTo(0.849, 3);
  });

  it.each([
    ['perfect agreement', [[1, 2, 3], [1, 2, 3]], 1],
    // two coders, two units: Do = (1/4) * 2 * (1 + 1) = 1; pooled values 1, 2, 2, 1 -> De = 2 * (4 * 10 - 36) / 12 = 2/3
    ['hand-computed disagreement', [[1, 2], [2, 1]], 1 - 1 / (2 / 3)],
  ])('%s', (_, data, expected) => {
    expect(krippendorffAlphaInterval(data)).toBeCloseTo(expected, 10);
  });

  it('is NaN when nothing is pairable or nothing varies', () => {
    expect(krippendorffAlphaInterval([[1, null], [null, 2]])).toBeNaN();
    expect(krippendorffAlphaInterval([[3, 3], [3, 3]])).toBeNaN();
  });
});

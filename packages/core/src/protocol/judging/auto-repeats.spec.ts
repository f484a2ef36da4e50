import { describe, expect, it } from 'vitest';
import { autoRepeatsSettings, decideAutoRound } from './auto-repeats.js';

const settings = autoRepeatsSettings({ max: 5 });

// Two models, four items, two repeats each. Hand count for the pair (beta over alpha):
//   per-repeat differences beta - alpha: item 0 (0, -10), item 1 (0, 0), item 2 (0, 20), item 3 (10, 0)
//   variance of the item mean s^2/n: 25, 0, 100, 25; total 150; 80% of it is 120: item 2 (100), then item 0 (125).
const alpha = [[50, 60], [50, 50], [50, 50], [40, 50]];
const beta = [[50, 50], [50, 50], [50, 70], [50, 50]];

describe('decideAutoRound', () => {
  it('stops as separated when the paired difference CI of every adjacent pair excludes 0', () => {
    const high = Array.from({ length: 6 }, (_, i) => [80 + i, 82 + i]);
    const low = Array.from({ length: 6 }, (_, i) => [20 + i, 21 + i]);
    const decision = decideAutoRound([low, high], ['low', 'high'], 2, settings, 'drop-failed', 1);
    expect(decision).toMatchObject({ stop: 'separated' });
    expect(decision.status.pairs).toEqual([{ higher: 'high', lower: 'low', difference: expect.closeTo(60.5, 9), ci95: expect.any(Array), separated: true }]);
  });

  it('repeats the items holding 80% of the uncertainty of the unresolved pair: items 0 and 2, not the settled item 1', () => {
    const decision = decideAutoRound([alpha, beta], ['alpha', 'beta'], 2, settings, 'drop-failed', 1);
    expect(decision.status.pairs[0]).toMatchObject({ higher: 'beta', lower: 'alpha', difference: 2.5, separated: false });
    expect(decision).toMatchObject({ items: [0, 2] });
  });

  it('takes every uncertain item with a spend share of 1, and always repeats an item with a single usable score', () => {
    const withFailure = [alpha[0], alpha[1], alpha[2], [40, null]] as Array<Array<number | null>>;
    const decision = decideAutoRound([withFailure, beta], ['alpha', 'beta'], 2, autoRepeatsSettings({ max: 5, spendShare: 1 }), 'drop-failed', 1);
    expect(decision).toMatchObject({ items: [0, 2, 3] });
  });

  it('stops at the maximum, at a met CI-width target, and when no item disagrees with itself', () => {
    expect(decideAutoRound([alpha, beta], ['alpha', 'beta'], 5, settings, 'drop-failed', 1)).toMatchObject({ stop: 'max-repeats' });
    expect(decideAutoRound([alpha, beta], ['alpha', 'beta'], 2, autoRepeatsSettings({ max: 5, targetCiWidth: 1000 }), 'drop-failed', 1)).toMatchObject({ stop: 'ci-width' });
    const steady = [[50, 50], [60, 60], [40, 40]];
    const steadyToo = [[55, 55], [45, 45], [50, 50]];
    expect(decideAutoRound([steady, steadyToo], ['a', 'b'], 2, settings, 'drop-failed', 1)).toMatchObject({ stop: 'no-uncertain-items' });
  });

  it('refuses settings that cannot work, naming the setting', () => {
    expect(() => autoRepeatsSettings({ min: 1 })).toThrow(/min must be an integer >= 2/);
    expect(() => autoRepeatsSettings({ min: 3, max: 2 })).toThrow(/max must be an integer >= min \(3\)/);
    expect(() => autoRepeatsSettings({ targetCiWidth: 0 })).toThrow(/targetCiWidth must be a number > 0/);
  });
});

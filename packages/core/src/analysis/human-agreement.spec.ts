import { describe, expect, it } from 'vitest';
import type { RatingRecord } from '../run/ratings.js';
import { cohenKappa, humanAgreement, normalizeRating, scoreAgreement } from './human-agreement.js';
import type { JudgeScores } from './judge-scores.js';
import { krippendorffAlphaInterval } from './krippendorff-alpha.js';

// Two items, three models; hand-computed values (see each test).
const JUDGE = [
  [0.9, 0.5, 0.1],
  [0.2, 0.6, 0.6],
];
const HUMAN = [
  [0.8, 0.6, 0.2],
  [0.3, 0.7, 0.5],
];
// alpha: every cell differs by 0.1, so Do = (1/12) * 6 * 2 * 0.01 = 0.01; the 12 pooled values have sum 6 and sum of
// squares 3.7, so De = 2 * (12 * 3.7 - 36) / (12 * 11) = 16.8 / 132; alpha = 1 - 0.01 * 132 / 16.8.
const ALPHA = 1 - 1.32 / 16.8;
// tau-b: item 0 orders the models the same (1); item 1 has 2 concordant pairs, 0 discordant, one pair tied by the
// judge only: 2 / sqrt((3 - 1) * 3).
const TAU = (1 + 2 / Math.sqrt(6)) / 2;
// Preferences (a, a, a, b, b, tie) against (a, a, a, b, b, a), each pair also counted flipped: 12 labels each,
// judge a 5, b 5, tie 2; human a 6, b 6. p_o = 10/12; p_e = 5/12 * 6/12 * 2 = 60/144;
// kappa = (120/144 - 60/144) / (1 - 60/144) = 60/84 = 5/7.
const KAPPA = 5 / 7;

function judgeScores(scores: number[][][], models = ['m0', 'm1', 'm2'], items = [0, 1]): JudgeScores {
  const grid = <T>(fill: T): T[][][] => scores.map(() => items.map(() => models.map(() => fill)));
  return {
    judge: 'batched',
    mode: 'batched',
    provider: 'openai',
    model: 'judge',
    models,
    items,
    repeats: scores.map((_, r) => r),
    scores,
    positions: grid(0),
    comments: grid(''),
    scored: models.map(() => scores.length * items.length),
    failed: models.map(() => 0),
    usage: { records: 0, calls: 0, cachedCalls: 0, attempts: 0, promptTokens: 0, completionTokens: 0 },
  };
}

function rating(rater: string, item: number, values: number[], scale: RatingRecord['scale'] = '100'): RatingRecord {
  const order = ['m0', 'm1', 'm2'];
  return { rater, item, scale, order, scores: Object.fromEntries(order.map((m, k) => [m, values[k] as number])), time: '2026-01-01T00:00:00Z' };
}

describe('cohenKappa', () => {
  it('gives 0.4 for the two-rater yes/no table 20/5/10/15 (p_o 0.7, p_e 0.5)', () => {
    const a = [...Array(25).fill('yes'), ...Array(25).fill('no')];
    const b = [...Array(20).fill('yes'), ...Array(5).fill('no'), ...Array(10).fill('yes'), ...Array(15).fill('no')];
    expect(cohenKappa(a, b)).toBeCloseTo(0.4, 12);
  });

  it('is 1 for identical labels, -1 for two labels always swapped, and NaN when both raters use one label only', () => {
    expect(cohenKappa(['a', 'b', 'tie'], ['a', 'b', 'tie'])).toBe(1);
    expect(cohenKappa(['a', 'b', 'a', 'b'], ['b', 'a', 'b', 'a'])).toBeCloseTo(-1, 12);
    expect(cohenKappa(['a', 'a'], ['a', 'a'])).toBeNaN();
  });
});

describe('normalizeRating', () => {
  it.each([
    [85, '100', 3, 0.85],
    [1, '10', 3, 0],
    [10, '10', 3, 1],
    [4, '10', 3, 1 / 3],
    [1, 'rank', 3, 1],
    [2, 'rank', 3, 0.5],
    [3, 'rank', 3, 0],
  ] as const)('maps %s on the %s scale with %s models to %s', (value, scale, models, expected) => {
    expect(normalizeRating(value, scale, models)).toBeCloseTo(expected, 12);
  });
});

describe('scoreAgreement', () => {
  it('matches the hand-computed alpha, mean Kendall tau, pairwise agreement and kappa of a two-item table', () => {
    const s = scoreAgreement(JUDGE, HUMAN, { resamples: 200, seed: 1 });
    expect(s.alpha).toBeCloseTo(ALPHA, 10);
    expect(s.kendallTau).toBeCloseTo(TAU, 10);
    expect(s.pairwiseAgreement).toBeCloseTo(5 / 6, 10);
    expect(s.kappa).toBeCloseTo(KAPPA, 10);
    expect(s.items).toBe(2);
    expect(s.pairs).toBe(6);
  });

  it('gives kappa 1 (not 0) when both sides always prefer the first-listed model, because pairs count in both orders', () => {
    const ordered = [[0.9, 0.5, 0.1], [0.8, 0.6, 0.3]];
    const s = scoreAgreement(ordered, ordered.map((row) => row.map((v) => v / 2)), { resamples: 50 });
    expect(s.pairwiseAgreement).toBe(1);
    expect(s.kappa).toBe(1);
  });

  it('gives 1 with a [1, 1] CI for perfect agreement and -1 tau, 0 pairwise agreement for reversed orders', () => {
    const same = scoreAgreement(HUMAN, HUMAN, { resamples: 100 });
    expect([same.alpha, same.kendallTau, same.pairwiseAgreement, same.kappa]).toEqual([1, 1, 1, 1]);
    expect(same.alphaCi95).toEqual([1, 1]);
    expect(same.kappaCi95).toEqual([1, 1]);
    const reversed = HUMAN.map((row) => row.map((v) => 1 - v));
    const r = scoreAgreement(reversed, HUMAN, { resamples: 100 });
    expect(r.kendallTau).toBeCloseTo(-1, 12);
    expect(r.pairwiseAgreement).toBe(0);
    expect(r.alpha).toBeLessThan(0);
  });

  it('gives bootstrap CIs over items that contain the estimate and narrow with more items', () => {
    const random = (k: number) => ((Math.sin(k * 12.9898) * 43758.5453) % 1 + 1) % 1;
    const table = (n: number, noise: number, offset: number) =>
      Array.from({ length: n }, (_, i) => [0.8, 0.5, 0.2].map((q, m) => Math.min(1, Math.max(0, q + noise * (random(i * 3 + m + offset) - 0.5)))));
    const small = scoreAgreement(table(10, 0.6, 0), table(10, 0.6, 1000), { resamples: 500, seed: 3 });
    const large = scoreAgreement(table(80, 0.6, 0), table(80, 0.6, 1000), { resamples: 500, seed: 3 });
    for (const s of [small, large]) {
      expect(s.alphaCi95[0]).toBeLessThanOrEqual(s.alpha);
      expect(s.alphaCi95[1]).toBeGreaterThanOrEqual(s.alpha);
      expect(s.kappaCi95[0]).toBeLessThanOrEqual(s.kappa);
      expect(s.kappaCi95[1]).toBeGreaterThanOrEqual(s.kappa);
    }
    expect(large.alphaCi95[1] - large.alphaCi95[0]).toBeLessThan(small.alphaCi95[1] - small.alphaCi95[0]);
  });

  it('gives the alpha of krippendorffAlphaInterval and the kappa of cohenKappa on the pooled cells and pairs, from its per-item sums', () => {
    const random = (k: number) => ((Math.sin(k * 78.233) * 43758.5453) % 1 + 1) % 1;
    const judge = Array.from({ length: 15 }, (_, i) => [0, 1, 2, 3].map((m) => Math.round(random(i * 4 + m) * 4) / 4));
    const human = Array.from({ length: 15 }, (_, i) => [0, 1, 2, 3].map((m) => Math.round(random(500 + i * 4 + m) * 4) / 4));
    const s = scoreAgreement(judge, human, { resamples: 50 });
    expect(s.alpha).toBeCloseTo(krippendorffAlphaInterval([judge.flat(), human.flat()]), 12);
    const label = (x: number, y: number) => (x > y ? 'a' : x < y ? 'b' : 'tie');
    const labels = (rows: number[][]) => rows.flatMap((r) => [0, 1, 2, 3].flatMap((a) => [0, 1, 2, 3].filter((b) => b !== a).map((b) => label(r[a]!, r[b]!))));
    expect(s.kappa).toBeCloseTo(cohenKappa(labels(judge), labels(human)), 12);
  });

  it('skips cells either side did not score and items with fewer than two such cells', () => {
    const judge = [[0.9, Number.NaN, 0.1], [0.5, Number.NaN, Number.NaN], ...JUDGE];
    const human = [[0.8, 0.6, 0.2], [0.5, 0.4, 0.3], ...HUMAN];
    const s = scoreAgreement(judge, human);
    expect(s.items).toBe(3);
    expect(s.pairs).toBe(1 + 6);
  });
});

describe('humanAgreement', () => {
  it('compares each judge (mean over repeats, divided by 100) with the raters and gives the hand-computed values', () => {
    // Repeats 80 and 100 average to the 90 of JUDGE.
    const judge = judgeScores([
      [[80, 50, 10], [20, 60, 60]],
      [[100, 50, 10], [20, 60, 60]],
    ]);
    const ratings = [rating('ann', 0, [80, 60, 20]), rating('ann', 1, [30, 70, 50])];
    const h = humanAgreement({ models: ['m0', 'm1', 'm2'], items: [0, 1], ratings, judges: [judge] }, { resamples: 100 });
    expect(h.raters).toEqual(['ann']);
    expect(h.items).toBe(2);
    expect(h.interRater).toBeUndefined();
    const [j] = h.judges;
    expect(j?.judge).toBe('batched');
    expect(j?.alpha).toBeCloseTo(ALPHA, 10);
    expect(j?.kendallTau).toBeCloseTo(TAU, 10);
    expect(j?.kappa).toBeCloseTo(KAPPA, 10);
  });

  it('gives inter-rater alpha and mean pairwise kappa when two people rated, on their 0-1 scores', () => {
    // On the 0-100 scale, ann's ratings are JUDGE and bob's are HUMAN, so the hand-computed values apply.
    const ratings = [rating('ann', 0, [90, 50, 10]), rating('ann', 1, [20, 60, 60]), rating('bob', 0, [80, 60, 20]), rating('bob', 1, [30, 70, 50])];
    const h = humanAgreement({ models: ['m0', 'm1', 'm2'], items: [0, 1], ratings, judges: [] }, { resamples: 100 });
    expect(h.raters).toEqual(['ann', 'bob']);
    expect(h.interRater?.raters).toBe(2);
    expect(h.interRater?.items).toBe(2);
    expect(h.interRater?.alpha).toBeCloseTo(ALPHA, 10);
    expect(h.interRater?.meanKappa).toBeCloseTo(KAPPA, 10);
  });

  it('uses the consensus (mean over raters) and treats 1-10 and rank ratings on the 0-1 scale', () => {
    // ann: ranks 1, 2, 3 -> 1, 0.5, 0; bob on 1-10: 10, 1, 1 -> 1, 0, 0; consensus 1, 0.25, 0.
    const ratings = [rating('ann', 0, [1, 2, 3], 'rank'), rating('bob', 0, [10, 1, 1], '10')];
    const judge = judgeScores([[[100, 25, 0]]], ['m0', 'm1', 'm2'], [0]);
    const h = humanAgreement({ models: ['m0', 'm1', 'm2'], items: [0], ratings, judges: [judge] }, { resamples: 50 });
    // Consensus (1, 0.25, 0) equals the judge's (1, 0.25, 0): perfect agreement.
    expect(h.judges[0]?.alpha).toBeCloseTo(1, 12);
    expect(h.judges[0]?.pairwiseAgreement).toBe(1);
    expect(h.scales).toEqual(['rank', '10']);
  });
});

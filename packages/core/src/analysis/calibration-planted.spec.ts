// Done-when of issue 14, judge accuracy: on a simulated judge with planted noise, the calibration recovers the
// judge's pairwise ordering accuracy within its CI. The known-quality set is built from Alpaca records by the real
// builder; the simulated judge scores each answer as its known quality level (20 points per known tier) plus
// Gaussian noise of SD sigma per call, unrounded, so ties have probability 0. Scores go through judgment records and
// collectJudgeScores into calibrateJudge, the path `judgekit calibrate` takes. With R repeats the judge's item mean
// carries noise sigma / sqrt(R), so a known-ordered pair whose levels differ by delta is ordered right with
// probability Phi(delta / (sigma * sqrt(2 / R))); the expected accuracy is the mean of that over the known-ordered
// pairs (pooled over items, as the accuracy is).
import { describe, expect, it } from 'vitest';
import type { AlpacaRecord } from '../contracts/records.js';
import type { JudgmentRecord } from '../run/run-directory.js';
import { seededRandom, type Random } from '../util/seeded-random.js';
import { calibrateJudge } from './calibration.js';
import { collectJudgeScores } from './judge-scores.js';
import { buildKnownQualitySet, knownTierMatrix } from './known-quality-set.js';

const ITEMS = 200;
const REPEATS = 2;
const POINTS_PER_TIER = 20;

/** Standard normal CDF via erf (Abramowitz & Stegun 7.1.26, absolute error below 1.5e-7). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

function gaussian(random: Random): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Four-sentence references, so the 75/50/25% levels keep 3, 2 and 1 sentences: every item has 14 known-ordered pairs. */
const records: AlpacaRecord[] = Array.from({ length: ITEMS }, (_, i) => ({
  instruction: `Describe topic ${i}.`,
  input: '',
  output: `Topic ${i} starts here. It has a second point. A third point follows. The fourth point ends topic ${i}.`,
}));
const set = buildKnownQualitySet(records, { seed: 7 });
const known = knownTierMatrix(set);

function plantedCalibration(sigma: number) {
  const random = seededRandom(`planted-accuracy/${sigma}`);
  const judgments: JudgmentRecord[] = [];
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    set.items.forEach((_, i) => {
      judgments.push({
        judge: `noise-${sigma}`,
        mode: 'single',
        provider: 'simulator',
        model: 'planted',
        index: i,
        repeat,
        scores: set.levels.map((level, l) => ({ model: level, score: POINTS_PER_TIER * (known[i]![l] as number) + sigma * gaussian(random) })),
        calls: set.levels.length,
        cachedCalls: 0,
        tokenUsage: { prompt: 0, completion: 0 },
        attempts: set.levels.length,
      });
    });
  }
  const [scores] = collectJudgeScores(judgments, set.levels, set.items.map((_, i) => i));
  const calibration = calibrateJudge(scores!, known, { bootstrap: { resamples: 2000, seed: 11 } });
  // Expected accuracy: the mean over every item's known-ordered pairs of Phi(delta / (sigma sqrt(2 / R))).
  const noiseOfDifference = sigma * Math.sqrt(2 / REPEATS);
  let sum = 0;
  let pairs = 0;
  for (const row of known) {
    for (const a of row) {
      for (const b of row) {
        if (!(a > b)) continue;
        sum += normalCdf((POINTS_PER_TIER * (a - b)) / noiseOfDifference);
        pairs++;
      }
    }
  }
  return { calibration, expected: sum / pairs, pairs };
}

describe('judge accuracy recovered from a simulated judge with planted noise', () => {
  const low = plantedCalibration(15);
  const high = plantedCalibration(40);

  it('builds 14 known-ordered pairs per item (tiers 4, 3, 2, 1, 0, 0) and the calibration counts every one of them', () => {
    expect(set.levels).toEqual(['reference', 'keep-75', 'keep-50', 'keep-25', 'other-item', 'empty']);
    expect(known.every((row) => row.join(',') === '4,3,2,1,0,0')).toBe(true);
    expect(low.pairs).toBe(ITEMS * 14);
    expect(low.calibration.accuracy).toMatchObject({ basis: 'scores', pairs: ITEMS * 14, ties: 0, unscored: 0 });
  });

  it('has the analytic accuracy mean Phi(delta / (sigma sqrt(2 / R))) inside the measured accuracy CI at sigma 15 and at sigma 40', () => {
    for (const { calibration, expected } of [low, high]) {
      const [lo, hi] = calibration.accuracy.ci95;
      expect({ expected, lo, hi, inside: lo <= expected && expected <= hi }).toEqual({ expected, lo, hi, inside: true });
      // The CI is informative: narrower than 0.06, so a wrong expectation would fall outside it.
      expect(hi - lo).toBeLessThan(0.06);
    }
    // The two expectations are far apart: each lies outside the other judge's CI.
    // By hand, with R = 2 the difference's noise is sigma; per item 5 pairs differ by 20, 4 by 40, 3 by 60, 2 by 80:
    // sigma 15: (5 Phi(4/3) + 4 Phi(8/3) + 3 Phi(4) + 2 Phi(16/3)) / 14 = (5 x 0.90879 + 4 x 0.99617 + 3 x 0.99997 + 2) / 14 = 0.96632;
    // sigma 40: (5 Phi(0.5) + 4 Phi(1) + 3 Phi(1.5) + 2 Phi(2)) / 14 = (5 x 0.69146 + 4 x 0.84134 + 3 x 0.93319 + 2 x 0.97725) / 14 = 0.82690.
    expect(low.expected).toBeCloseTo(0.96632, 4);
    expect(high.expected).toBeCloseTo(0.8269, 4);
    expect(low.expected).toBeGreaterThan(high.calibration.accuracy.ci95[1]);
    expect(high.expected).toBeLessThan(low.calibration.accuracy.ci95[0]);
  });

  it('measures the lower-noise judge as more accurate, with separated CIs, a higher Kendall tau and a larger panel weight', () => {
    expect(low.calibration.accuracy.value).toBeGreaterThan(high.calibration.accuracy.value);
    expect(low.calibration.accuracy.ci95[0]).toBeGreaterThan(high.calibration.accuracy.ci95[1]);
    expect(low.calibration.kendallTau.mean).toBeGreaterThan(high.calibration.kendallTau.mean);
    expect(low.calibration.weight).toBeGreaterThan(high.calibration.weight);
  });
});

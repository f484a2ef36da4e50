import { describe, expect, it } from 'vitest';
import { analyzePairwise, eloFromLogit, fitBradleyTerry, fitPreferenceGlm, ranksDescending, type PairwiseObservation } from './bradley-terry.js';

/** `points[i][j]` from a list of [winner, loser, times]. */
function table(m: number, games: Array<[number, number, number]>): number[][] {
  const points = Array.from({ length: m }, () => new Array<number>(m).fill(0));
  for (const [w, l, times] of games) (points[w] as number[])[l] = ((points[w] as number[])[l] as number) + times;
  return points;
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

describe('fitBradleyTerry', () => {
  it('gives two models the closed form: the logit gap is log(w / l) and the scores are centred', () => {
    const [a, b] = fitBradleyTerry(table(2, [[0, 1, 3], [1, 0, 1]])) as [number, number];
    expect(a - b).toBeCloseTo(Math.log(3), 5);
    expect(a + b).toBeCloseTo(0, 10);
    // On the Elo-style scale the gap is 400 log10(3) = 190.85 points.
    expect(eloFromLogit(a) - eloFromLogit(b)).toBeCloseTo(190.85, 1);
  });

  it('counts a tie as half a win for each side: 2 wins and 2 ties against none is the same as 3 wins to 1', () => {
    const withTies = fitBradleyTerry(table(2, [[0, 1, 2 + 1], [1, 0, 1]]));
    const plain = fitBradleyTerry(table(2, [[0, 1, 3], [1, 0, 1]]));
    expect(withTies[0]).toBeCloseTo(plain[0] as number, 8);
  });

  it('recovers the known solution of a three-model table whose counts equal the expected wins of strengths 0, ln 2, ln 4', () => {
    // p(1 beats 0) = 2/3 over 3 games, p(2 beats 1) = 2/3 over 3, p(2 beats 0) = 4/5 over 5: the score equations hold exactly.
    const scores = fitBradleyTerry(table(3, [[1, 0, 2], [0, 1, 1], [2, 1, 2], [1, 2, 1], [2, 0, 4], [0, 2, 1]]));
    expect(scores[0]).toBeCloseTo(-Math.log(2), 6);
    expect(scores[1]).toBeCloseTo(0, 6);
    expect(scores[2]).toBeCloseTo(Math.log(2), 6);
  });

  it('gives a rock-paper-scissors cycle equal scores', () => {
    const scores = fitBradleyTerry(table(3, [[0, 1, 2], [1, 0, 1], [1, 2, 2], [2, 1, 1], [2, 0, 2], [0, 2, 1]]));
    for (const s of scores) expect(s).toBeCloseTo(0, 8);
  });

  it('stays finite when one model won every comparison', () => {
    const scores = fitBradleyTerry(table(2, [[0, 1, 5]]));
    expect(scores.every(Number.isFinite)).toBe(true);
    expect(scores[0]).toBeGreaterThan(scores[1] as number);
  });
});

describe('fitPreferenceGlm', () => {
  it('gives back planted model, position and length terms from outcomes equal to their probabilities', () => {
    const planted = { models: [0.4, -0.1, -0.3], position: 0.25, length: 0.8 };
    const observations: PairwiseObservation[] = [];
    let item = 0;
    for (const d of [-1.5, -0.5, 0.3, 1.2]) {
      for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) {
        if (a === b) continue;
        const y = sigmoid((planted.models[a] as number) - (planted.models[b] as number) + planted.position + planted.length * d);
        observations.push({ item: item++, repeat: 0, a, b, y, lengthDiff: d });
      }
    }
    const fit = fitPreferenceGlm(observations, 3);
    fit.models.forEach((value, i) => expect(value).toBeCloseTo(planted.models[i] as number, 5));
    expect(fit.position).toBeCloseTo(planted.position, 5);
    expect(fit.length).toBeCloseTo(planted.length, 5);
  });

  it('finds the first-position logit log 3 when the first-shown answer wins 3 of 4 in both orders', () => {
    const observations: PairwiseObservation[] = [];
    for (let k = 0; k < 4; k++) {
      observations.push({ item: k, repeat: 0, a: 0, b: 1, y: k < 3 ? 1 : 0, lengthDiff: 0 });
      observations.push({ item: k, repeat: 0, a: 1, b: 0, y: k < 3 ? 1 : 0, lengthDiff: 0 });
    }
    const fit = fitPreferenceGlm(observations, 2, { length: false });
    expect(fit.position).toBeCloseTo(Math.log(3), 5);
    expect(fit.models[0]).toBeCloseTo(0, 6);
    expect(fit.length).toBe(0);
  });
});

describe('ranksDescending', () => {
  it('ranks the highest value 1 and lets ties share the better rank', () => {
    expect(ranksDescending([3, 9, 3, 1])).toEqual([2, 1, 2, 4]);
  });
});

describe('analyzePairwise', () => {
  // Item k, both orders of (0, 1): model 0 wins both on items 0-2; on item 3 the first-shown answer wins both times.
  const observations: PairwiseObservation[] = [];
  for (let k = 0; k < 4; k++) {
    observations.push({ item: k, repeat: 0, a: 0, b: 1, y: 1, lengthDiff: 0 });
    observations.push({ item: k, repeat: 0, a: 1, b: 0, y: k === 3 ? 1 : 0, lengthDiff: 0 });
  }
  const analysis = analyzePairwise('pw', ['m0', 'm1'], 4, observations, { resamples: 200, seed: 1 });

  it('reports the win-rate matrix, each model\'s overall win rate and the comparison count', () => {
    expect(analysis.comparisons).toBe(8);
    expect(analysis.winRates[0]?.[1]).toBeCloseTo(7 / 8, 10);
    expect(analysis.winRates[1]?.[0]).toBeCloseTo(1 / 8, 10);
    expect(Number.isNaN(analysis.winRates[0]?.[0])).toBe(true);
    expect(analysis.overallWinRate[0]?.rate).toBeCloseTo(7 / 8, 10);
  });

  it('counts a pair as position-consistent only when the same model wins in both orders (3 of 4 here)', () => {
    expect(analysis.positionConsistency.n).toBe(4);
    expect(analysis.positionConsistency.rate).toBeCloseTo(0.75, 10);
    expect(analysis.positionConsistency.ci95[0]).toBeLessThanOrEqual(0.75);
    expect(analysis.positionConsistency.ci95[1]).toBeGreaterThanOrEqual(0.75);
    // 5 of the 8 decisive verdicts went to the first-shown answer.
    expect(analysis.firstPositionWinRate.rate).toBeCloseTo(5 / 8, 10);
  });

  it('gives the Bradley-Terry gap log(7) on the Elo-style scale, with a CI around each score and model 0 ranked first', () => {
    const [a, b] = analysis.bradleyTerry as unknown as [{ elo: number; rank: number; ci95: [number, number] }, { elo: number; rank: number }];
    expect(a.elo - b.elo).toBeCloseTo(400 * Math.log10(7), 1);
    expect(a.rank).toBe(1);
    expect(b.rank).toBe(2);
    expect(a.ci95[0]).toBeLessThanOrEqual(a.elo);
    expect(a.ci95[1]).toBeGreaterThanOrEqual(a.elo);
    expect(analysis.rankingChanged).toBe(false);
  });

  it('flags a ranking that length control reverses', () => {
    // Model 0 is always much longer and wins 70% of the time; the length effect explains more than all of it.
    const obs: PairwiseObservation[] = [];
    const truth = { models: [-0.3, 0.3], length: 1 };
    for (let k = 0; k < 60; k++) {
      const d = 0.5 + (k % 5) * 0.5;
      for (const [a, b] of [[0, 1], [1, 0]] as Array<[number, number]>) {
        const diff = a === 0 ? d : -d;
        const y = sigmoid((truth.models[a] as number) - (truth.models[b] as number) + truth.length * diff);
        obs.push({ item: k, repeat: 0, a, b, y, lengthDiff: diff });
      }
    }
    const result = analyzePairwise('pw', ['long', 'short'], 60, obs, { resamples: 50, seed: 2 });
    expect(result.bradleyTerry[0]?.rank).toBe(1);
    expect(result.lengthControlled[0]?.rank).toBe(2);
    expect(result.lengthLogit.value).toBeCloseTo(1, 4);
    expect(result.rankingChanged).toBe(true);
    expect(result.rankChanges).toEqual([
      { model: 'long', raw: 1, controlled: 2 },
      { model: 'short', raw: 2, controlled: 1 },
    ]);
  });
});

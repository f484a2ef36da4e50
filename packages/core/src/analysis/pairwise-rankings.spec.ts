import { describe, expect, it } from 'vitest';
import type { JudgmentRecord } from '../run/run-directory.js';
import type { PairwiseComparison } from '../contracts/judge.js';
import { collectJudgeScores } from './judge-scores.js';
import { pairwiseVerdicts, rankingAgreement } from './pairwise-rankings.js';

function pairwise(index: number, repeat: number, comparisons: PairwiseComparison[]): JudgmentRecord {
  return { judge: 'pw', mode: 'pairwise', provider: 'p', model: 'm', index, repeat, scores: [], comparisons, calls: comparisons.length, cachedCalls: 0, tokenUsage: { prompt: 0, completion: 0 }, attempts: comparisons.length };
}

describe('pairwiseVerdicts', () => {
  it('turns comparisons into observations with the log-length difference, counting unusable verdicts apart', () => {
    const verdicts = pairwiseVerdicts(
      [pairwise(7, 0, [{ a: 'x', b: 'y', winner: 'A' }, { a: 'y', b: 'x', winner: 'tie' }, { a: 'x', b: 'y', winner: null, failure: 'bad' }])],
      'pw',
      ['x', 'y'],
      [7],
      [['one two three'], ['one']],
    );
    expect(verdicts?.failed).toBe(1);
    expect(verdicts?.observations).toEqual([
      { item: 0, repeat: 0, a: 0, b: 1, y: 1, lengthDiff: Math.log(4) - Math.log(2) },
      { item: 0, repeat: 0, a: 1, b: 0, y: 0.5, lengthDiff: Math.log(2) - Math.log(4) },
    ]);
    expect(pairwiseVerdicts([], 'pw', ['x'], [7])).toBeUndefined();
  });
});

describe('rankingAgreement', () => {
  it('gives Kendall tau-b and Spearman -1 against a judge that orders the models the other way, with CIs that hold the estimate', () => {
    const models = ['x', 'y', 'z'];
    const records: JudgmentRecord[] = [];
    const scored: JudgmentRecord[] = [];
    for (let index = 0; index < 6; index++) {
      // x beats y beats z in both orders on every item; the single judge scores z highest.
      const comparisons: PairwiseComparison[] = [];
      for (const [a, b] of [[0, 1], [1, 0], [0, 2], [2, 0], [1, 2], [2, 1]] as Array<[number, number]>) comparisons.push({ a: models[a] as string, b: models[b] as string, winner: a < b ? 'A' : 'B' });
      records.push(pairwise(index, 0, comparisons));
      scored.push({ judge: 'single', mode: 'single', provider: 'p', model: 'm', index, repeat: 0, scores: models.map((model, m) => ({ model, score: 10 * (m + 1) + index })), calls: 3, cachedCalls: 0, tokenUsage: { prompt: 0, completion: 0 }, attempts: 3 });
    }
    const items = [0, 1, 2, 3, 4, 5];
    const verdicts = pairwiseVerdicts(records, 'pw', models, items)!;
    const [single] = collectJudgeScores(scored, models, items);
    const agreement = rankingAgreement(verdicts, single!, { resamples: 50, seed: 1 });
    expect(agreement.kendallTauB).toBe(-1);
    expect(agreement.spearman).toBeCloseTo(-1, 12);
    expect(agreement.kendallCi95).toEqual([-1, -1]);
    expect(agreement.means).toEqual([12.5, 22.5, 32.5]);
  });
});

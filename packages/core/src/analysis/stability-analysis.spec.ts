import { describe, expect, it } from 'vitest';
import type { JudgmentRecord, RunResults } from '../run/run-directory.js';
import { collectJudgeScores } from './judge-scores.js';
import { judgeStabilityAnalysis } from './stability-analysis.js';

const base = { provider: 'openai', model: 'm', calls: 1, cachedCalls: 0, tokenUsage: { prompt: 0, completion: 0 }, attempts: 1 };

function pairwise(repeat: number, index: number, winners: Array<'A' | 'B' | 'tie' | null>): JudgmentRecord {
  return {
    ...base,
    judge: 'pw',
    mode: 'pairwise',
    index,
    repeat,
    scores: [],
    comparisons: [
      { a: 'x', b: 'y', winner: winners[0] ?? null },
      { a: 'y', b: 'x', winner: winners[1] ?? null },
    ],
  };
}

describe('judgeStabilityAnalysis', () => {
  it('counts pairwise verdict flips per ordered pair: 2 of 3 verdicts compared change between the repeats', () => {
    // item 0: x-y A -> A (same), y-x B -> A (flip); item 1: x-y tie -> B (flip), y-x null -> A (not compared).
    const judgments = [pairwise(0, 0, ['A', 'B']), pairwise(1, 0, ['A', 'A']), pairwise(0, 1, ['tie', null]), pairwise(1, 1, ['B', 'A'])];
    const judge = collectJudgeScores(judgments, ['x', 'y'], [0, 1])[0]!;
    const result = judgeStabilityAnalysis(judgments, judge, undefined, { resamples: 200 });
    expect(result.verdicts?.comparisons).toBe(3);
    expect(result.verdicts?.flipRate).toBeCloseTo(2 / 3, 12);
  });

  it("gives each model's mean expected score over items beside its sampled mean, counting judgments without a distribution", () => {
    const single = (repeat: number, index: number, scores: JudgmentRecord['scores']): JudgmentRecord => ({ ...base, judge: 's', mode: 'single', index, repeat, scores });
    const judgments = [
      single(0, 0, [{ model: 'x', score: 80, distribution: { expected: 78, mass: 0.9, probabilities: {} } }]),
      single(1, 0, [{ model: 'x', score: 80, distribution: { expected: 82, mass: 0.9, probabilities: {} } }]),
      single(0, 1, [{ model: 'x', score: 60, distribution: { unavailable: 'the score 60 spans 2 tokens' } }]),
      single(1, 1, [{ model: 'x', score: 70, distribution: { expected: 66, mass: 1, probabilities: {} } }]),
    ];
    const results = { judges: [{ name: 's', autoRepeats: { stopped: 'max-repeats' } }] } as unknown as RunResults;
    const judge = collectJudgeScores(judgments, ['x'], [0, 1])[0]!;
    const result = judgeStabilityAnalysis(judgments, judge, results, { resamples: 200 });
    // Item means of expected: (78 + 82) / 2 = 80 and 66; sampled: 80 and 65.
    expect(result.expected).toEqual([{ model: 'x', sampled: 72.5, expected: 73, ci95: expect.any(Array), judgments: 3, unavailable: 1 }]);
    expect(result.scores?.flipRate).toBeCloseTo(1 / 2, 12);
    expect(result.autoRepeats?.stopped).toBe('max-repeats');
  });
});

import { describe, expect, it } from 'vitest';
import type { JudgmentRecord, RunItems, RunResults } from '../run/run-directory.js';
import { analyzeRun } from './run-analysis.js';

const items: RunItems = {
  items: [0, 1, 2, 3].map((index) => ({ index, instruction: index % 2 ? 'Calculate 2 + 2.' : 'Who wrote Hamlet?', input: '', output: 'x', prompt: 'p' })),
  models: [
    { name: 'A', responses: ['a a', 'a a a', 'a', 'a a a a'] },
    { name: 'B', responses: ['b', 'b b', 'b b b', 'b'] },
  ],
};

function record(judge: string, mode: string, index: number, a: number | null, b: number | null, slotA = 1): JudgmentRecord {
  return {
    judge, mode, provider: 'p', model: 'm', index, repeat: 0,
    scores: [
      { model: 'A', score: a, ...(mode === 'batched' ? { position: slotA } : {}) },
      { model: 'B', score: b, ...(mode === 'batched' ? { position: 3 - slotA } : {}) },
    ],
    calls: mode === 'single' ? 2 : 1, cachedCalls: 0, tokenUsage: { prompt: 10, completion: 1 }, attempts: 1,
  };
}

const judgments = [
  record('batched', 'batched', 0, 80, 60, 1),
  record('batched', 'batched', 1, 70, 60, 2),
  record('batched', 'batched', 2, null, null, 1),
  record('batched', 'batched', 3, 90, 50, 2),
  ...[0, 1, 2, 3].map((i) => record('single', 'single', i, 70 + i, 50)),
];

const results: RunResults = {
  items: 4,
  models: [],
  judges: [
    { name: 'single', mode: 'single', provider: 'p', model: 'm', aggregate: 'drop-failed', repeats: 1 },
    { name: 'batched', mode: 'batched', provider: 'p', model: 'm', aggregate: 'failed-as-zero', repeats: 1 },
  ],
};

describe('analyzeRun', () => {
  const analysis = analyzeRun(
    { items, judgments, results, losses: { models: [{ name: 'A', loss: 3.2, tokens: 1, protocol: {} }, { name: 'B', loss: 3.9, tokens: 1, protocol: {} }] } },
    { bootstrap: { resamples: 100 }, categories: ['factual recall', 'reasoning/math', 'factual recall', 'reasoning/math'], pricing: { m: { input: 1, output: 1 } } },
  );

  it('orders judges as results.json lists them and applies each aggregate rule to the scores', () => {
    expect(analysis.judges.map((j) => j.judge)).toEqual(['single', 'batched']);
    const batched = analysis.judges[1]!;
    // failed-as-zero: item 2 counts 0 for both -> A (80 + 70 + 0 + 90) / 4
    expect(batched.summaries[0]?.mean).toBeCloseTo(60, 10);
    expect(batched.summaries[0]).toMatchObject({ failed: 1, scored: 3 });
    // ...but position bias only sees the scores the judge gave (6 observations, not 8).
    expect(batched.positionBias?.observations).toBe(6);
    expect(analysis.warnings.join('\n')).toMatch(/batched: 2 score\(s\) missing/);
  });

  it('reads losses, compares single with batched, prices calls and breaks down categories', () => {
    expect(analysis.losses).toEqual([3.2, 3.9]);
    expect(analysis.comparisons).toHaveLength(1);
    expect(analysis.comparisons[0]).toMatchObject({ a: 'single', b: 'batched', rankTauB: 1 });
    expect(analysis.judges[0]?.usage).toMatchObject({ calls: 8, promptTokens: 40, cost: 44 / 1e6 });
    expect(analysis.judges[0]?.categories?.categories.map((c) => [c.category, c.items])).toEqual([
      ['factual recall', 2],
      ['reasoning/math', 2],
    ]);
    expect(analysis.judges[0]?.lossCorrelation?.models).toBe(2);
    expect(analysis.alphaAcrossJudges).toBeGreaterThan(0);
  });

  it('warns when there is nothing to analyse', () => {
    expect(analyzeRun({ items, judgments: [] }).warnings[0]).toMatch(/no records/);
  });
});

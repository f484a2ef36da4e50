import { describe, expect, it } from 'vitest';
import type { JudgmentRecord } from '../run/run-directory.js';
import { collectJudgeScores } from './judge-scores.js';
import { lengthBias } from './length-bias.js';

function record(index: number, score: number): JudgmentRecord {
  return { judge: 'j', mode: 'single', provider: 't', model: 'm', index, repeat: 0, scores: [{ model: 'solo', score }], calls: 1, cachedCalls: 0, tokenUsage: { prompt: 0, completion: 0 }, attempts: 1 };
}

describe('lengthBias with one model', () => {
  it('gives no within-item slope (NaN, shown as n/a) and no length-controlled score, not a slope of 0 with CI [0, 0]', () => {
    // Longer answers score higher here, but each item has one answer, so the item effects absorb all of it.
    const responses = [['a', 'a a', 'a a a a', 'a a a a a a a a']];
    const [judge] = collectJudgeScores([0, 1, 2, 3].map((i) => record(i, 20 + 10 * i)), ['solo'], [0, 1, 2, 3]);
    const bias = lengthBias(judge!, responses, 'words', { resamples: 50 });
    expect(bias.slopePerLogLength).toBeNaN();
    expect(bias.slopeCi95[0]).toBeNaN();
    expect(bias.slopeCi95[1]).toBeNaN();
    expect(bias.controlled[0]?.raw).toBe(35);
    expect(bias.controlled[0]?.atMeanLength).toBeNaN();
    expect(bias.controlled[0]?.ci95.every((v) => Number.isNaN(v))).toBe(true);
    expect(bias.rankingChanged).toBe(false);
    // The correlation over answers is still defined.
    expect(bias.pearson).toBeGreaterThan(0.9);
  });

  it('gives no slope, and says no ranking changed, when every answer has the same length', () => {
    const records: JudgmentRecord[] = [0, 1, 2].map((i) => ({ ...record(i, 0), scores: [{ model: 'a', score: 30 + i }, { model: 'b', score: 60 - i }] }));
    const [judge] = collectJudgeScores(records, ['a', 'b'], [0, 1, 2]);
    const bias = lengthBias(judge!, [['x y', 'x y', 'x y'], ['x y', 'x y', 'x y']], 'words', { resamples: 50 });
    expect(bias.slopePerLogLength).toBeNaN();
    expect(bias.rankingChanged).toBe(false);
    expect(bias.controlled.map((c) => c.raw)).toEqual([31, 59]);
  });
});

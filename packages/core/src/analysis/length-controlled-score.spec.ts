// The scored modes' length-controlled score: its bootstrap CI and the flag when control changes the ranking.
import { describe, expect, it } from 'vitest';
import type { JudgmentRecord } from '../run/run-directory.js';
import { collectJudgeScores } from './judge-scores.js';
import { answerLength, lengthBias } from './length-bias.js';
import { seededRandom } from '../util/seeded-random.js';

function record(index: number, scores: Array<[string, number]>): JudgmentRecord {
  return { judge: 'j', mode: 'single', provider: 'test', model: 'm', index, repeat: 0, scores: scores.map(([model, score]) => ({ model, score })), calls: 2, cachedCalls: 0, tokenUsage: { prompt: 1, completion: 1 }, attempts: 2 };
}

/** 40 items; `short` writes 3-12 words and is 8 points better, `long` writes 10-70 words; 12 points per log(1 + words). */
function plantedRun(noiseSd: number) {
  const random = seededRandom('lc');
  const responses: string[][] = [[], []];
  const judgments: JudgmentRecord[] = [];
  for (let i = 0; i < 40; i++) {
    const words = [3 + 3 * (i % 4), 10 + 15 * (i % 5)];
    const texts = words.map((n) => Array.from({ length: n }, () => 'w').join(' '));
    const difficulty = (i % 7) * 3;
    const scores = texts.map((text, m) => 30 + (m === 0 ? 8 : 0) + difficulty + 12 * Math.log1p(answerLength(text)) + noiseSd * (random() - 0.5));
    texts.forEach((text, m) => (responses[m] as string[]).push(text));
    judgments.push(record(i, [['short', scores[0] as number], ['long', scores[1] as number]]));
  }
  const [judge] = collectJudgeScores(judgments, ['short', 'long'], Array.from({ length: 40 }, (_, i) => i));
  return { judge: judge!, responses };
}

describe('length-controlled score of a scored judge', () => {
  it('gives every controlled score a bootstrap CI over items that holds it, and recovers the planted gap exactly without noise', () => {
    const exact = plantedRun(0);
    const bias = lengthBias(exact.judge, exact.responses, 'words', { resamples: 200, seed: 1 });
    expect(bias.slopePerLogLength).toBeCloseTo(12, 6);
    // Exact data: every resample gives the same gap between the controlled scores; the level moves with the resampled mean log length.
    expect((bias.controlled[0]?.atMeanLength as number) - (bias.controlled[1]?.atMeanLength as number)).toBeCloseTo(8, 6);
    const noisy = plantedRun(6);
    const withNoise = lengthBias(noisy.judge, noisy.responses, 'words', { resamples: 200, seed: 1 });
    for (const model of withNoise.controlled) {
      expect(model.ci95[0]).toBeLessThan(model.atMeanLength);
      expect(model.ci95[1]).toBeGreaterThan(model.atMeanLength);
      expect(model.ci95[1] - model.ci95[0]).toBeLessThan(20);
    }
  });

  it('flags that length control reverses the ranking when the worse model wins raw only by writing more', () => {
    const { judge, responses } = plantedRun(0);
    const bias = lengthBias(judge, responses, 'words', { resamples: 100, seed: 1 });
    const [short, long] = bias.controlled as unknown as [{ raw: number; atMeanLength: number }, { raw: number; atMeanLength: number }];
    expect(long.raw).toBeGreaterThan(short.raw);
    expect(short.atMeanLength).toBeGreaterThan(long.atMeanLength);
    expect(bias.rankingChanged).toBe(true);
  });

  it('does not flag a ranking that length control keeps', () => {
    const judgments = [0, 1, 2, 3].map((i) => record(i, [['a', 70 + i], ['b', 40 + 2 * i]]));
    const [judge] = collectJudgeScores(judgments, ['a', 'b'], [0, 1, 2, 3]);
    const responses = [['x', 'x x', 'x x x', 'x'], ['y y', 'y', 'y y y y', 'y y']];
    expect(lengthBias(judge!, responses, 'words', { resamples: 50 }).rankingChanged).toBe(false);
  });
});

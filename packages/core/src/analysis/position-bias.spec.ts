import { describe, expect, it } from 'vitest';
import type { JudgmentRecord } from '../run/run-directory.js';
import { seededRandom, shuffled } from '../util/seeded-random.js';
import { collectJudgeScores } from './judge-scores.js';
import { positionBias } from './position-bias.js';

const MODELS = ['A', 'B', 'C'];
const QUALITY = [60, 50, 40];
const SLOT = [6, 0, -6];

function run(order: (item: number, repeat: number) => number[], items: number, repeats: number, noise = () => 0): JudgmentRecord[] {
  const out: JudgmentRecord[] = [];
  for (let r = 0; r < repeats; r++) {
    for (let i = 0; i < items; i++) {
      const slots = order(i, r);
      const mood = (i % 4) * 5 - r * 3;
      out.push({
        judge: 'batched',
        mode: 'batched',
        provider: 'test',
        model: 'sim',
        index: i,
        repeat: r,
        scores: MODELS.map((model, m) => ({ model, score: (QUALITY[m] as number) + mood + (SLOT[(slots[m] as number) - 1] as number) + noise(), position: slots[m] as number })),
        calls: 1,
        cachedCalls: 0,
        tokenUsage: { prompt: 10, completion: 10 },
        attempts: 1,
      });
    }
  }
  return out;
}

describe('positionBias', () => {
  it('recovers planted slot effects exactly from a noiseless rotation, separating them from model effects', () => {
    const js = run((i, r) => MODELS.map((_, m) => ((m + i + r) % 3) + 1), 6, 2);
    const [judge] = collectJudgeScores(js, MODELS, [0, 1, 2, 3, 4, 5]);
    const bias = positionBias(judge!, { resamples: 100 })!;
    expect(bias.slots.map((s) => s.effect)).toEqual(SLOT.map((v) => expect.closeTo(v, 6)));
    expect(bias.effectRange).toBeCloseTo(12, 6);
    // Balanced design: every slot sees every model equally often, so corrected means equal the planted gaps.
    const corrected = bias.corrected.map((c) => c.mean);
    expect((corrected[0] as number) - (corrected[1] as number)).toBeCloseTo(10, 6);
    expect((corrected[1] as number) - (corrected[2] as number)).toBeCloseTo(10, 6);
    expect(bias.modelEstimates[0]!.estimate - bias.modelEstimates[2]!.estimate).toBeCloseTo(20, 6);
    expect(bias.slots[0]!.effectCi95[0]).toBeCloseTo(6, 4);
    expect(bias.slots[0]!.observations).toBe(12);
  });

  it('separates slot from model when the order is unbalanced (raw slot means are confounded)', () => {
    // A sits in slot 1 far more often than chance, so raw slot-1 mean is inflated by A's quality.
    const random = seededRandom(7);
    const order = (i: number): number[] => (i % 3 === 0 ? shuffled([1, 2, 3], random) : [1, 2, 3]);
    const random2 = seededRandom(8);
    const noisy = run(order, 30, 1, () => (random2() - 0.5) * 4);
    const [judge] = collectJudgeScores(noisy, MODELS, Array.from({ length: 30 }, (_, i) => i));
    const bias = positionBias(judge!, { resamples: 300 })!;
    const [s1, , s3] = bias.slots;
    // planted slot gap is 12; the raw gap adds most of the A-vs-C quality gap of 20
    expect(s1!.rawMean - s3!.rawMean).toBeGreaterThan(18);
    expect(s1!.effect).toBeGreaterThan(s1!.effectCi95[0]);
    expect(s1!.effectCi95[0]).toBeLessThan(6);
    expect(s1!.effectCi95[1]).toBeGreaterThan(6);
    expect(s3!.effectCi95[0]).toBeLessThan(-6);
    expect(s3!.effectCi95[1]).toBeGreaterThan(-6);
  });

  it('returns null without positions', () => {
    const js = run(() => [1, 2, 3], 2, 1).map((r) => ({ ...r, scores: r.scores.map(({ position: _, ...s }) => s) }));
    const [judge] = collectJudgeScores(js, MODELS, [0, 1]);
    expect(positionBias(judge!)).toBeNull();
  });
});

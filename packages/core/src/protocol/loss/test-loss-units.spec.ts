// The contract `judgekit loss --queue` rests on: batches scored one by one, in any order and by separate model
// instances, then added in batch order by aggregateTestLoss, give computeTestLoss's result bit for bit.
import { describe, expect, it } from 'vitest';
import type { LikelihoodModel } from '../../contracts/model-backend.js';
import { aggregateTestLoss, computeTestLoss, planTestLoss, scorePlannedBatch, type TestLossOptions } from './test-loss.js';
import { tokenSourceFromArray } from './token-source.js';

/** NLLs with many significant bits (so a different order of additions would show), from the input context. */
function irrationalModel(contextLength: number): LikelihoodModel {
  return {
    contextLength,
    async tokenNll(inputs, targets, batch, sequence) {
      const nll = new Float32Array(targets.length);
      for (let i = 0; i < targets.length; i++) if (targets[i] !== -100) nll[i] = Math.sqrt(2 + ((inputs[i]! * 7919 + targets[i]! * 104729) % 1000)) / 3;
      return { nll, batch, sequence };
    },
    async dispose() {},
  };
}

const tokens = Array.from({ length: 997 }, (_, i) => (i * 48271) % 50257);

describe('aggregateTestLoss over batches scored separately', () => {
  it.each<[string, TestLossOptions]>([
    ['non-overlapping', { contextLength: 16, batchSize: 3 }],
    ['strided', { contextLength: 16, stride: 5, batchSize: 4, startToken: 7 }],
    ['limited to a number of batches', { contextLength: 8, batchSize: 2, batches: 9 }],
  ])('equals computeTestLoss bit for bit (%s), batches scored in reverse order by another model instance', async (_name, options) => {
    const whole = await computeTestLoss(irrationalModel(32), tokenSourceFromArray(tokens), options);
    const model = irrationalModel(32);
    const source = tokenSourceFromArray(tokens);
    const plan = planTestLoss(model, source, options);
    expect(plan.totalBatches).toBe(whole.batches);
    const scores: Array<{ sum: number; count: number }> = [];
    for (let b = plan.totalBatches - 1; b >= 0; b--) scores[b] = await scorePlannedBatch(model, source, plan, b);
    const split = aggregateTestLoss(scores, { ...plan, windows: plan.windows.length }, options.batches, source.description, 0);
    expect(split.loss).toBe(whole.loss);
    expect(split.meanOfBatchMeans).toBe(whole.meanOfBatchMeans);
    expect(split.tokenMean).toBe(whole.tokenMean);
    expect({ ...split, seconds: 0 }).toEqual({ ...whole, seconds: 0 });
  });
});

import { describe, expect, it } from 'vitest';
import type { LikelihoodModel } from '../../contracts/model-backend.js';
import { computeTestLoss, planLossWindows } from './test-loss.js';
import { tokenSourceFromArray } from './token-source.js';

/** A fake model whose NLL of a target is the target id itself, recording every call. */
function echoModel(contextLength = 4): LikelihoodModel & { calls: { inputs: number[]; targets: number[]; batch: number; sequence: number }[] } {
  const calls: { inputs: number[]; targets: number[]; batch: number; sequence: number }[] = [];
  return {
    contextLength,
    calls,
    async tokenNll(inputs, targets, batch, sequence) {
      calls.push({ inputs: [...inputs], targets: [...targets], batch, sequence });
      return { nll: Float32Array.from(targets, (t) => (t === -100 ? 0 : t)), batch, sequence };
    },
    async dispose() {},
  };
}

describe('planLossWindows', () => {
  it.each([
    // total, context, stride, start -> windows
    [9, 4, 4, 0, [{ begin: 0, length: 4, skip: 0 }, { begin: 4, length: 4, skip: 0 }]],
    [10, 4, 4, 0, [{ begin: 0, length: 4, skip: 0 }, { begin: 4, length: 4, skip: 0 }, { begin: 8, length: 1, skip: 0 }]],
    [10, 4, 4, 3, [{ begin: 3, length: 4, skip: 0 }, { begin: 7, length: 2, skip: 0 }]],
    [10, 4, 2, 0, [{ begin: 0, length: 4, skip: 0 }, { begin: 2, length: 4, skip: 2 }, { begin: 4, length: 4, skip: 2 }, { begin: 6, length: 3, skip: 2 }]],
    [3, 4, 4, 0, [{ begin: 0, length: 2, skip: 0 }]],
  ])('%i tokens, context %i, stride %i, start %i', (total, contextLength, stride, startToken, expected) => {
    const windows = planLossWindows(total, { contextLength, stride, startToken });
    expect(windows).toEqual(expected);
    // Every target index start+1 .. total-1 is scored exactly once.
    const scored: number[] = [];
    for (const w of windows) for (let i = w.skip; i < w.length; i++) scored.push(w.begin + i + 1);
    expect(scored).toEqual(Array.from({ length: total - 1 - startToken }, (_, i) => startToken + 1 + i));
  });

  it('limits the number of windows and validates its arguments', () => {
    expect(planLossWindows(100, { contextLength: 4, stride: 4, startToken: 0, maxWindows: 3 })).toHaveLength(3);
    expect(() => planLossWindows(100, { contextLength: 4, stride: 5, startToken: 0 })).toThrow(/stride must be an integer in \[1, context length 4\]/);
  });
});

describe('computeTestLoss', () => {
  it('takes the mean of batch means over shifted targets, padding a short last window', async () => {
    const model = echoModel(4);
    const tokens = Array.from({ length: 11 }, (_, i) => i); // targets 1..10
    const result = await computeTestLoss(model, tokenSourceFromArray(tokens), { batchSize: 2 });
    expect(model.calls[0]).toEqual({ inputs: [0, 1, 2, 3, 4, 5, 6, 7], targets: [1, 2, 3, 4, 5, 6, 7, 8], batch: 2, sequence: 4 });
    expect(model.calls[1]).toEqual({ inputs: [8, 9], targets: [9, 10], batch: 1, sequence: 2 });
    expect(result.tokens).toBe(10);
    expect(result.batches).toBe(2);
    expect(result.meanOfBatchMeans).toBeCloseTo((4.5 + 9.5) / 2, 12);
    expect(result.tokenMean).toBeCloseTo(5.5, 12);
    expect(result.loss).toBe(result.meanOfBatchMeans);
    expect(result.protocol).toMatchObject({ kind: 'non-overlapping', contextLength: 4, stride: 4, batchSize: 2, startToken: 0, aggregate: 'mean-of-batch-means' });
  });

  it('honours the start token and the batch limit', async () => {
    const model = echoModel(4);
    const result = await computeTestLoss(model, tokenSourceFromArray(Array.from({ length: 100 }, (_, i) => i)), { batchSize: 2, startToken: 10, batches: 2 });
    expect(result.tokens).toBe(16);
    expect(model.calls[0]!.inputs.slice(0, 4)).toEqual([10, 11, 12, 13]);
    expect(result.tokenMean).toBeCloseTo((11 + 26) / 2, 12);
    expect(result.protocol.batchesRequested).toBe(2);
  });

  it('scores each token once with a stride and reports the token mean', async () => {
    const model = echoModel(4);
    const result = await computeTestLoss(model, tokenSourceFromArray(Array.from({ length: 10 }, (_, i) => i)), { batchSize: 3, stride: 2 });
    expect(result.tokens).toBe(9);
    expect(result.tokenMean).toBeCloseTo(5, 12);
    expect(result.loss).toBe(result.tokenMean);
    expect(result.protocol).toMatchObject({ kind: 'strided', stride: 2, aggregate: 'token-mean' });
    expect(model.calls[0]!.targets).toEqual([1, 2, 3, 4, -100, -100, 5, 6, -100, -100, 7, 8]);
  });

  it('refuses a start beyond the data', async () => {
    await expect(computeTestLoss(echoModel(), tokenSourceFromArray([1, 2, 3]), { startToken: 5 })).rejects.toThrow(/start token 5 leaves nothing to score: the data holds 3 tokens/);
  });
});

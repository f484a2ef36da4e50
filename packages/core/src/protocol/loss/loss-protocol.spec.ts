import { describe, expect, it } from 'vitest';
import type { LikelihoodModel } from '../../contracts/model-backend.js';
import { formatLoss, resolveTestLossSettings, TEST_LOSS_DEFAULTS, type LossRecord } from './loss-protocol.js';
import { computeTestLoss } from './test-loss.js';
import { tokenSourceFromArray } from './token-source.js';

/** A fake model whose NLL of a target is the target id divided by 1000. */
function scaledEchoModel(contextLength: number): LikelihoodModel {
  return {
    contextLength,
    async tokenNll(inputs, targets, batch, sequence) {
      return { nll: Float32Array.from(targets, (t) => (t === -100 ? 0 : t / 1000)), batch, sequence };
    },
    async dispose() {},
  };
}

const NON_OVERLAPPING = { kind: 'non-overlapping', contextLength: 1024, stride: 1024, batchSize: 6, aggregate: 'mean-of-batch-means' };

/** The numbers a formatted loss states: headline, other aggregate, token count, batch count, window shape. */
function parseLoss(text: string): { loss: number; tokenMean: number; tokens: number; batches: number; batchSize: number; contextLength: number } {
  const match = /^(\d+\.\d{3}) \(mean of (\d+) batch means?, (\d+) x (\d+) windows(?:, last window partial)?; token mean (\d+\.\d{3}), ([\d,]+) tokens\)$/.exec(text);
  if (!match) throw new Error(`not a formatted loss: ${text}`);
  const [, loss, batches, batchSize, contextLength, tokenMean, tokens] = match;
  return { loss: Number(loss), tokenMean: Number(tokenMean), tokens: Number(tokens!.replace(/,/g, '')), batches: Number(batches), batchSize: Number(batchSize), contextLength: Number(contextLength) };
}

describe('the test-loss protocol defaults', () => {
  it("are the study's: 1024-token windows, 6 per batch, from token 0, partial windows included", () => {
    expect(TEST_LOSS_DEFAULTS).toEqual({ contextLength: 1024, batchSize: 6, startToken: 0, lastWindow: 'partial windows included' });
    expect(Object.isFrozen(TEST_LOSS_DEFAULTS)).toBe(true);
    expect(resolveTestLossSettings({})).toEqual({ contextLength: 1024, batchSize: 6, stride: 1024, startToken: 0, batches: undefined });
  });

  it("cap the default window at a shorter model's context, but never a window that was asked for", () => {
    expect(resolveTestLossSettings({}, 16)).toMatchObject({ contextLength: 16, stride: 16 });
    expect(resolveTestLossSettings({}, 2048)).toMatchObject({ contextLength: 1024, stride: 1024 });
    expect(resolveTestLossSettings({ contextLength: 2048 }, 16)).toMatchObject({ contextLength: 2048 });
  });

  it('are what computeTestLoss uses when given no options: 6 x 1024 windows on a 1024-token model', async () => {
    const result = await computeTestLoss(scaledEchoModel(1024), tokenSourceFromArray(Array.from({ length: 3000 }, (_, i) => i % 500)));
    expect(result.protocol).toMatchObject({ kind: 'non-overlapping', contextLength: 1024, stride: 1024, batchSize: 6, startToken: 0, lastWindow: 'partial windows included' });
    expect(result.windows).toBe(3);
    expect(result.tokens).toBe(2999);
  });
});

describe('formatLoss', () => {
  it('prints the mean of batch means with its protocol, and the token mean and token count beside it', () => {
    const record: LossRecord = { loss: 2.037, meanOfBatchMeans: 2.037, tokenMean: 2.019, tokens: 73_728, batches: 12, windows: 72, protocol: NON_OVERLAPPING };
    expect(formatLoss(record)).toBe('2.037 (mean of 12 batch means, 6 x 1024 windows; token mean 2.019, 73,728 tokens)');
  });

  it('names a partial last window, the one thing that makes the two means differ', () => {
    const record: LossRecord = { loss: 2.101, meanOfBatchMeans: 2.101, tokenMean: 2.019, tokens: 5000, batches: 1, windows: 5, protocol: NON_OVERLAPPING };
    expect(formatLoss(record)).toBe('2.101 (mean of 1 batch mean, 6 x 1024 windows, last window partial; token mean 2.019, 5,000 tokens)');
  });

  it('prints a strided loss as a token mean with its stride, and the mean of batch means beside it', () => {
    const record: LossRecord = { loss: 2.019, meanOfBatchMeans: 2.037, tokenMean: 2.019, tokens: 73_728, batches: 12, windows: 72, protocol: { kind: 'strided', contextLength: 1024, stride: 512, batchSize: 6, aggregate: 'token-mean' } };
    expect(formatLoss(record)).toBe('2.019 (token mean, 6 x 1024 windows, stride 512; mean of 12 batch means 2.037, 73,728 tokens)');
  });

  it('says what was not recorded rather than printing a bare number for an older loss.json row', () => {
    expect(formatLoss({ loss: 3.5, tokens: 100, protocol: {} })).toBe('3.500 (mean of batch means, protocol not recorded; token mean not recorded, 100 tokens)');
  });

  it.each([6, 8])(
    'states numbers consistent with the measurement: batch size %i over data with a partial last window',
    async (batchSize) => {
      const tokens = Array.from({ length: 8 * 64 + 20 }, (_, i) => (i * 37) % 1000);
      const result = await computeTestLoss(scaledEchoModel(64), tokenSourceFromArray(tokens), { batchSize });
      const stated = parseLoss(formatLoss(result));
      expect(stated.loss).toBe(Number(result.meanOfBatchMeans.toFixed(3)));
      expect(stated.tokenMean).toBe(Number(result.tokenMean.toFixed(3)));
      expect(stated.tokens).toBe(result.tokens);
      expect(stated.tokens).toBe(tokens.length - 1);
      expect(stated.batches).toBe(Math.ceil(9 / batchSize));
      expect(stated.batchSize).toBe(batchSize);
      expect(stated.contextLength).toBe(64);
      expect(formatLoss(result)).toContain('last window partial');
    },
  );

  it('shows why the "same" model reads differently at batch 6 and 8: different means of batch means, one token mean', async () => {
    const tokens = Array.from({ length: 8 * 64 + 20 }, (_, i) => (i * 37) % 1000);
    const [six, eight] = await Promise.all([6, 8].map((batchSize) => computeTestLoss(scaledEchoModel(64), tokenSourceFromArray(tokens), { batchSize })));
    expect(six!.meanOfBatchMeans.toFixed(3)).not.toBe(eight!.meanOfBatchMeans.toFixed(3));
    expect(parseLoss(formatLoss(six!)).tokenMean).toBe(parseLoss(formatLoss(eight!)).tokenMean);
  });
});

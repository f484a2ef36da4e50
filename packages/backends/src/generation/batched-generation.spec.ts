import { describe, expect, it } from 'vitest';
import { seededRandom } from '@judgekit/core';
import { generateBatch, generateTokens } from './batched-generation.js';
import { generateGreedyUncached } from './reference-generation.js';
import { ToyDecoderSession } from './testing/toy-decoder-session.js';

function prompts(count: number, seed: number, vocab: number, maxLength: number): number[][] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => Array.from({ length: 1 + Math.floor(random() * maxLength) }, () => Math.floor(random() * vocab)));
}

async function reference(session: ToyDecoderSession, list: number[][], options: { maxNewTokens?: number; stopToken?: number | null }) {
  const out: number[][] = [];
  for (const prompt of list) out.push(await generateGreedyUncached(session, prompt, options));
  return out;
}

/** A token the toy model emits now and then, so some rows stop early and others run on. */
async function commonToken(session: ToyDecoderSession, list: number[][]): Promise<number> {
  const seen = new Map<number, number>();
  for (const completion of await reference(session, list.slice(0, 6), { maxNewTokens: 12, stopToken: null })) {
    for (const token of completion) seen.set(token, (seen.get(token) ?? 0) + 1);
  }
  return [...seen.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 0;
}

describe('generateTokens (greedy) matches the study\'s one-at-a-time uncached loop', () => {
  it.each([
    ['short prompts, no stop token', { count: 9, maxLength: 10, maxNewTokens: 12, batchSize: 4, stop: false }],
    ['mixed lengths with a stop token', { count: 13, maxLength: 30, maxNewTokens: 20, batchSize: 5, stop: true }],
    ['prompts near and past the context window', { count: 7, maxLength: 90, maxNewTokens: 25, batchSize: 3, stop: false }],
    ['one batch holding everything', { count: 11, maxLength: 50, maxNewTokens: 30, batchSize: 16, stop: true }],
    ['batch size 1', { count: 4, maxLength: 20, maxNewTokens: 10, batchSize: 1, stop: true }],
  ])('%s', async (_name, c) => {
    for (const keepRows of [false, true]) {
      const session = new ToyDecoderSession({ vocabSize: 61, contextLength: 48, seed: c.count, keepRows });
      const list = prompts(c.count, c.count * 31, 61, c.maxLength);
      const stopToken = c.stop ? await commonToken(session, list) : null;
      const expected = await reference(session, list, { maxNewTokens: c.maxNewTokens, stopToken });
      const actual = await generateTokens(session, list, { maxNewTokens: c.maxNewTokens, stopToken, batchSize: c.batchSize });
      expect(actual).toEqual(expected);
      if (c.stop) expect(actual.some((completion) => completion.length < c.maxNewTokens)).toBe(true);
      expect(session.liveCaches.size).toBe(0);
    }
  });

  it('drops finished rows from the cache once they are a quarter of it, with the same tokens', async () => {
    const session = new ToyDecoderSession({ vocabSize: 61, contextLength: 64, seed: 5, keepRows: true });
    const list = prompts(8, 77, 61, 12);
    const stopToken = await commonToken(session, list);
    const expected = await reference(session, list, { maxNewTokens: 30, stopToken });
    const early = expected.filter((c) => c.length < 29).length;
    expect(early).toBeGreaterThanOrEqual(2);
    session.calls.length = 0;
    expect(await generateTokens(session, list, { maxNewTokens: 30, stopToken, batchSize: 8 })).toEqual(expected);
    expect(session.kept.length).toBeGreaterThan(0);
    // Every drop removed at least a quarter of the rows then cached, and later steps ran on the smaller batch.
    let rows = 8;
    for (const kept of session.kept) {
      expect(rows - kept.length).toBeGreaterThanOrEqual(Math.ceil(rows / 4));
      rows = kept.length;
    }
    expect(session.calls[session.calls.length - 1]!.batch).toBe(rows);
  });

  it('uses the cache: one prefill, then one-token steps while the window has room', async () => {
    const session = new ToyDecoderSession({ contextLength: 64 });
    await generateBatch(session, [[1, 2, 3], [4, 5]], { maxNewTokens: 5, stopToken: null });
    expect(session.calls).toEqual([
      { batch: 2, seq: 3, past: 0 },
      { batch: 2, seq: 1, past: 3 },
      { batch: 2, seq: 1, past: 4 },
      { batch: 2, seq: 1, past: 5 },
      { batch: 2, seq: 1, past: 6 },
    ]);
  });

  it('prefills again, cropped and without finished rows, when the window is full', async () => {
    const session = new ToyDecoderSession({ contextLength: 8 });
    const list = [[1, 2, 3, 4, 5, 6], [7, 8]];
    const expected = await reference(session, list, { maxNewTokens: 6, stopToken: null });
    session.calls.length = 0;
    const actual = await generateBatch(session, list, { maxNewTokens: 6, stopToken: null });
    expect(actual).toEqual(expected);
    expect(session.calls.slice(0, 4)).toEqual([
      { batch: 2, seq: 6, past: 0 },
      { batch: 2, seq: 1, past: 6 },
      { batch: 2, seq: 1, past: 7 },
      { batch: 2, seq: 8, past: 0 },
    ]);
  });

  it('keeps the prompts\' order', async () => {
    const session = new ToyDecoderSession();
    const list = prompts(10, 5, 61, 40);
    const together = await generateTokens(session, list, { maxNewTokens: 4, batchSize: 3, stopToken: null });
    const reversed = await generateTokens(session, list.slice().reverse(), { maxNewTokens: 4, batchSize: 3, stopToken: null });
    expect(reversed.slice().reverse()).toEqual(together);
  });

  it('reports each batch as it finishes', async () => {
    const session = new ToyDecoderSession();
    const seen: number[] = [];
    await generateTokens(session, prompts(7, 2, 61, 20), { maxNewTokens: 2, batchSize: 3, onBatch: (indices) => void seen.push(...indices) });
    expect(seen.slice().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('returns empty completions for max new tokens 0 without running the model', async () => {
    const session = new ToyDecoderSession();
    expect(await generateTokens(session, [[1], [2, 3]], { maxNewTokens: 0 })).toEqual([[], []]);
    expect(session.calls).toHaveLength(0);
  });

  it.each([
    [[[]], /Prompt 0 has no tokens/],
    [[[1], [2, 61]], /Prompt 1, position 1: 61 is not a token id/],
    [[[1.5]], /not a token id/],
  ])('rejects bad prompts %j', async (list, message) => {
    await expect(generateTokens(new ToyDecoderSession(), list as number[][])).rejects.toThrow(message);
  });
});

describe('generateTokens (sampling)', () => {
  const options = { maxNewTokens: 8, temperature: 1.2, topK: 20, topP: 0.95, seed: 42, stopToken: null };

  it('repeats with a seed and does not depend on batching', async () => {
    const session = new ToyDecoderSession();
    const list = prompts(6, 9, 61, 20);
    const a = await generateTokens(session, list, { ...options, batchSize: 6 });
    const b = await generateTokens(session, list, { ...options, batchSize: 1 });
    expect(b).toEqual(a);
  });

  it('changes with the seed and differs from greedy', async () => {
    const session = new ToyDecoderSession();
    const list = prompts(6, 9, 61, 20);
    const a = await generateTokens(session, list, options);
    const c = await generateTokens(session, list, { ...options, seed: 43 });
    const greedy = await generateTokens(session, list, { maxNewTokens: 8, stopToken: null });
    expect(c).not.toEqual(a);
    expect(greedy).not.toEqual(a);
  });
});

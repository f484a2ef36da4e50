// Batched, KV-cached generation on a real (tiny) ONNX Runtime model gives the same greedy tokens as the study's
// one-prompt-at-a-time uncached loop.
import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { seededRandom } from '@judgekit/core';
import { createGpt2DecoderSession, type Gpt2DecoderSession } from '../engine/gpt2-decoder-session.js';
import { createTinyGpt2 } from '../architectures/gpt2/create-tiny-gpt2.js';
import { generateTokens } from './batched-generation.js';
import { generateGreedyUncached } from './reference-generation.js';
import { SessionGenerativeModel } from './session-generative-model.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

function prompts(count: number, seed: number, vocab: number, maxLength: number): number[][] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => Array.from({ length: 1 + Math.floor(random() * maxLength) }, () => Math.floor(random() * vocab)));
}

async function reference(session: Gpt2DecoderSession, list: number[][], options: { maxNewTokens: number; stopToken: number | null }) {
  const out: number[][] = [];
  for (const prompt of list) out.push(await generateGreedyUncached(session, prompt, options));
  return out;
}

describe('batched generation on ONNX Runtime (tiny GPT-2)', () => {
  it.each([
    ['HF naming, QKV bias, tied head', { naming: 'hf' as const, qkvBias: true, tiedHead: true, seed: 3 }],
    ["book naming, no QKV bias, untied head (the study's own models)", { naming: 'book' as const, qkvBias: false, tiedHead: false, seed: 4 }],
  ])('%s: identical greedy tokens to one-at-a-time uncached decoding', async (_name, variant) => {
    const tiny = await createTinyGpt2({ ...variant, vocabSize: 96, contextLength: 32, embDim: 16, nLayers: 2, nHeads: 2 });
    dirs.push(tiny.dir);
    const session = await createGpt2DecoderSession(tiny.checkpointPath, { device: 'cpu', threads: 1 });
    try {
      // Lengths up to 40 on a 32-token window: some prompts start cropped, others cross the window while decoding.
      const list = prompts(10, variant.seed, 96, 40);
      const firstTokens = (await reference(session, list, { maxNewTokens: 3, stopToken: null })).flat();
      const stopToken = firstTokens[firstTokens.length - 1] as number;
      const expected = await reference(session, list, { maxNewTokens: 14, stopToken });
      const keepRows = vi.spyOn(session, 'keepRows');
      const batched = await generateTokens(session, list, { maxNewTokens: 14, stopToken, batchSize: 4 });
      expect(batched).toEqual(expected);
      // The slot cache dropped finished rows along the way (some rows stop early).
      expect(keepRows).toHaveBeenCalled();
      expect(expected.some((c) => c.length < 14)).toBe(true);
      expect(expected.some((c) => c.length === 14)).toBe(true);
      const model = new SessionGenerativeModel(session, { batchSize: 10 });
      expect(await model.generate(list, { maxNewTokens: 14, stopToken })).toEqual(expected);
    } finally {
      await session.dispose();
    }
  });
});

// Batched, KV-cached generation on a tiny grouped-query-attention Llama (4 query heads on 2 KV heads) gives the same
// greedy tokens as the study's one-prompt-at-a-time uncached loop, with both KV cache kinds: the generic sessions and
// batching read the cache's head count and width from the model's config.
import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { seededRandom } from '@judgekit/core';
import { createTinyLlama } from '../architectures/llama/create-tiny-llama.js';
import { createGpt2DecoderSession, type Gpt2DecoderSession } from '../engine/gpt2-decoder-session.js';
import { generateTokens } from './batched-generation.js';
import { generateGreedyUncached } from './reference-generation.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

function prompts(count: number, seed: number, vocab: number, maxLength: number): number[][] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => [1, ...Array.from({ length: Math.floor(random() * maxLength) }, () => 3 + Math.floor(random() * (vocab - 3)))]);
}

async function reference(session: Gpt2DecoderSession, list: number[][], options: { maxNewTokens: number; stopToken: number | null }) {
  const out: number[][] = [];
  for (const prompt of list) out.push(await generateGreedyUncached(session, prompt, options));
  return out;
}

describe('batched generation on ONNX Runtime (tiny Llama)', () => {
  it.each([
    ['slots', { seed: 21, tiedHead: true, attentionBias: false }],
    ['concat', { seed: 22, tiedHead: false, attentionBias: true }],
  ] as const)('%s KV cache: identical greedy tokens to one-at-a-time uncached decoding', async (cache, variant) => {
    const tiny = await createTinyLlama({ ...variant, contextLength: 32, nHeads: 4, nKvHeads: 2 });
    dirs.push(tiny.dir);
    const session = await createGpt2DecoderSession(tiny.checkpointPath, { device: 'cpu', threads: 1, cache });
    try {
      // Lengths up to 40 on a 32-token window: some prompts start cropped, others cross the window while decoding.
      const list = prompts(10, variant.seed, tiny.config.vocabSize, 40);
      const firstTokens = (await reference(session, list, { maxNewTokens: 3, stopToken: null })).flat();
      const stopToken = firstTokens[firstTokens.length - 1] as number;
      const expected = await reference(session, list, { maxNewTokens: 14, stopToken });
      const keepRows = session.keepRows ? vi.spyOn(session, 'keepRows') : undefined;
      const batched = await generateTokens(session, list, { maxNewTokens: 14, stopToken, batchSize: 4 });
      expect(batched).toEqual(expected);
      expect(expected.some((c) => c.length < 14)).toBe(true);
      expect(expected.some((c) => c.length === 14)).toBe(true);
      if (cache === 'slots') expect(keepRows).toHaveBeenCalled();
    } finally {
      await session.dispose();
    }
  });
});

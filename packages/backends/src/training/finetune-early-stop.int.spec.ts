// finetune() with early stopping holds no in-memory copy of the best epoch: it reads it back from the checkpoint it
// wrote when that epoch was accepted, and its memory estimate no longer counts the copy.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AlpacaRecord } from '@judgekit/core';
import { createTinyGpt2 } from '../testing/index.js';
import { BOOK_ADAMW } from './adamw.js';
import { finetune } from './finetune-model.js';
import { readSafetensors } from './safetensors-file.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'judgekit-finetune-early-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

// The validation split is the last records: the same questions with other answers, so fitting the training
// answers with a high learning rate makes validation loss rise and early stopping ends the run.
const RECORDS: AlpacaRecord[] = Array.from({ length: 40 }, (_, i) => {
  const [a, b] = [i % 7, i % 5];
  return { instruction: `${a}+${b}`, input: '', output: String(i < 36 ? a + b : a + b + 3) };
});

describe('finetune() with early stopping', () => {
  it('stops early, restoring the best epoch from its own checkpoint, and estimates no memory for a copy of it', async () => {
    const tiny = await createTinyGpt2({ seed: 5, vocabSize: 64, contextLength: 16, embDim: 16, nLayers: 2, nHeads: 2, dir: await tempDir() });
    const out = await tempDir();
    const lines: string[] = [];
    const result = await finetune({
      checkpoint: tiny.checkpointPath,
      records: RECORDS,
      outDir: out,
      name: 'tiny',
      template: { name: 'tiny', prompt: '{instruction}', input: ' {input}', response: '={output}' },
      encode: (text) => [...text].map((c) => c.charCodeAt(0) % 60),
      progress: false,
      threads: 1,
      log: (line) => lines.push(line),
      availableMemoryBytes: 64e9,
      recipe: { batchSize: 4, padTokenId: 63, stopping: { kind: 'early', maxEpochs: 40 }, optimizer: { ...BOOK_ADAMW, lr: 2e-2 } },
    });
    expect(result.stoppedEarly).toBe(true);
    expect(result.epochs.at(-1)?.stopped).toBe(true);
    expect(result.bestEpoch).toBe((result.epochs.at(-1)?.epoch as number) - 1);
    // The checkpoint holds the best epoch (the one restored), and no copy of it was counted in the estimate.
    expect((await readSafetensors(result.modelPath, () => false)).metadata.judgekit_epoch).toBe(String(result.bestEpoch));
    const memory = lines.find((line) => line.startsWith('memory: fine-tuning tiny needs about')) as string;
    expect(memory).toBeDefined();
    expect(memory).not.toContain("best epoch's weights");
  });
});

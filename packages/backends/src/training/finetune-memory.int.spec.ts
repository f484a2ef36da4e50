// finetune() says the memory it needs before training and refuses, with the figures, when it is not available.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JudgekitError, pathExists, type AlpacaRecord } from '@judgekit/core';
import { createTinyGpt2 } from '../testing/index.js';
import { finetune, type FinetuneOptions } from './finetune-model.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'judgekit-finetune-memory-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const RECORDS: AlpacaRecord[] = Array.from({ length: 40 }, (_, i) => ({ instruction: `${i % 7}+${i % 5}`, input: '', output: String((i % 7) + (i % 5)) }));

async function run(extra: Partial<FinetuneOptions>): Promise<{ lines: string[]; outcome: unknown; out: string }> {
  const tiny = await createTinyGpt2({ seed: 5, vocabSize: 64, contextLength: 16, embDim: 16, nLayers: 2, nHeads: 2, dir: await tempDir() });
  const out = await tempDir();
  const lines: string[] = [];
  const outcome = await finetune({
    checkpoint: tiny.checkpointPath,
    records: RECORDS,
    outDir: out,
    name: 'tiny',
    template: { name: 'tiny', prompt: '{instruction}', input: ' {input}', response: '={output}' },
    encode: (text) => [...text].map((c) => c.charCodeAt(0) % 60),
    progress: false,
    threads: 1,
    log: (line) => lines.push(line),
    recipe: { batchSize: 4, padTokenId: 63, stopping: { kind: 'fixed', epochs: 1 } },
    ...extra,
  }).catch((error: unknown) => error);
  return { lines, outcome, out };
}

describe('finetune() memory check', () => {
  it('refuses before training when the estimate exceeds the available memory, naming both figures, and writes no model', async () => {
    const { lines, outcome, out } = await run({ availableMemoryBytes: 50e6 });
    expect(JudgekitError.is(outcome, 'device')).toBe(true);
    const message = (outcome as Error).message;
    expect(message).toMatch(/^fine-tuning tiny needs about \d+\.\d GB \(weights 0\.0 GB, gradients 0\.0 GB, AdamW moments 0\.0 GB, activations at batch 4 x \d+ 0\.0 GB, runtime 0\.4 GB, not itemised 0\.0 GB\) but this machine has 0\.1 GB available\./);
    // Said up front in the log, before the refusal.
    expect(lines.some((line) => /^memory: fine-tuning tiny needs about 0\.4 GB .*; 0\.1 GB available$/.test(line))).toBe(true);
    expect(await pathExists(join(out, 'finetune', 'tiny', 'model.safetensors'))).toBe(false);
    expect(await readdir(join(out, 'finetune', 'tiny')).catch(() => [])).not.toContain('epochs.jsonl');
  });

  it('trains when the memory is there, after logging the estimate, and only logs it when the check is turned off', async () => {
    const fits = await run({ availableMemoryBytes: 64e9 });
    expect(JudgekitError.is(fits.outcome)).toBe(false);
    const memoryLine = fits.lines.findIndex((line) => line.startsWith('memory: fine-tuning tiny needs about'));
    const epochLine = fits.lines.findIndex((line) => /epoch 1/i.test(line));
    expect(memoryLine).toBeGreaterThanOrEqual(0);
    expect(epochLine).toBeGreaterThan(memoryLine);
    expect(fits.lines[memoryLine]).toMatch(/; 64\.0 GB available$/);

    const unchecked = await run({ availableMemoryBytes: 50e6, checkMemory: false });
    expect(JudgekitError.is(unchecked.outcome)).toBe(false);
    expect(await pathExists(join(unchecked.out, 'finetune', 'tiny', 'model.safetensors'))).toBe(true);
  });
});

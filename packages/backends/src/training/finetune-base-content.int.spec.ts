// finetune() decides whether a run in its folder is the same run by the base checkpoint's content, not its name:
// weights overwritten in place under the same file name are not resumed, a byte-identical rewrite is.
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JudgekitError, type AlpacaRecord } from '@judgekit/core';
import { createTinyGpt2 } from '../testing/index.js';
import { finetune, type FinetuneOptions } from './finetune-model.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const TEMPLATE = { name: 'tiny', prompt: '{instruction}', input: ' {input}', response: '={output}' };
const RECORDS: AlpacaRecord[] = Array.from({ length: 40 }, (_, i) => ({ instruction: `${i % 7}+${i % 5}`, input: '', output: String((i % 7) + (i % 5)) }));
const TINY = { vocabSize: 64, contextLength: 16, embDim: 8, nLayers: 1, nHeads: 2, naming: 'hf', name: 'tiny' } as const;

function options(checkpoint: string, outDir: string): FinetuneOptions {
  return {
    checkpoint,
    records: RECORDS,
    outDir,
    template: TEMPLATE,
    encode: (text: string) => [...text].map((c) => c.charCodeAt(0) % 60),
    progress: false,
    threads: 1,
    recipe: { batchSize: 8, padTokenId: 63, stopping: { kind: 'fixed', epochs: 1 }, optimizer: { lr: 3e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 } },
  };
}

describe('finetune() and its base checkpoint', () => {
  it('refuses to resume a run whose base checkpoint was overwritten with other weights under the same name, naming the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'judgekit-finetune-base-'));
    dirs.push(dir);
    const { checkpointPath } = await createTinyGpt2({ ...TINY, dir, seed: 1 });
    const out = join(dir, 'run');
    await finetune(options(checkpointPath, out));
    // Same path, same size, same config: only the weights differ.
    await createTinyGpt2({ ...TINY, dir, seed: 2 });
    const again = finetune(options(checkpointPath, out));
    await expect(again).rejects.toThrow(JudgekitError);
    await expect(finetune(options(checkpointPath, out))).rejects.toThrow(/run[/\\]finetune[/\\]tiny[/\\]\S+ belongs to a different run \(checkpoint, data or recipe changed\)/);
  }, 60_000);

  it('resumes (finds finished) a run whose base checkpoint was rewritten with the same bytes and a new mtime', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'judgekit-finetune-base-'));
    dirs.push(dir);
    const { checkpointPath } = await createTinyGpt2({ ...TINY, dir, seed: 1 });
    const out = join(dir, 'run');
    const first = await finetune(options(checkpointPath, out));
    const trained = await readFile(first.modelPath);
    await writeFile(checkpointPath, await readFile(checkpointPath));
    await utimes(checkpointPath, new Date(), new Date(Date.now() + 60_000));
    const lines: string[] = [];
    const again = await finetune({ ...options(checkpointPath, out), log: (line) => lines.push(line) });
    expect(again.resumedFromEpoch).toBe(1);
    expect(lines.join('\n')).toMatch(/already finished/);
    expect((await readFile(again.modelPath)).equals(trained)).toBe(true);
  }, 60_000);
});

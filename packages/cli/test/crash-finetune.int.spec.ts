// Crash safety of `judgekit finetune`: the CLI runs as a child process on a tiny GPT-2 checkpoint and is
// SIGKILLed at random moments after an epoch is saved (mid-epoch, or mid-save); reruns resume after the last
// saved epoch without training it again, and end with the same weights as an uninterrupted run. A damaged
// resume state is detected and reported, never loaded.
import { decodeLog } from '@judgekit/core';
import { readSafetensorsHeader } from '@judgekit/backends';
import { createTinyGpt2 } from '@judgekit/backends/testing';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJudgekit, startJudgekit, waitFor } from './support/cli-process.js';

const EPOCHS = 3;
let root: string;
let modelPath: string;

function finetuneArgs(out: string): string[] {
  return ['finetune', modelPath, '--dataset', join(root, 'data.json'), '--out', out, '--epochs', String(EPOCHS), '--batch-size', '4', '--lr', '0.001', '--device', 'cpu', '--threads', '1', '--json'];
}

/** The epoch the resume state holds (the commit point of an epoch), or 0 when there is none yet. */
async function committedEpoch(out: string): Promise<number> {
  try {
    const header = await readSafetensorsHeader(join(out, 'finetune', 'tiny', 'resume.safetensors'));
    return (JSON.parse(header.metadata.judgekit_resume ?? '{}') as { epoch?: number }).epoch ?? 0;
  } catch {
    return 0;
  }
}

function savedEpochs(out: string): number[] {
  const path = join(out, 'finetune', 'tiny', 'epochs.jsonl');
  if (!existsSync(path)) return [];
  return [...decodeLog<{ epoch: number }>(readFileSync(path, 'utf8')).entries.values()].map((entry) => entry.epoch);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'judgekit-crash-finetune-'));
  await mkdir(join(root, 'model'));
  const tiny = await createTinyGpt2({ dir: join(root, 'model'), name: 'tiny', seed: 9, vocabSize: 50257, contextLength: 64, embDim: 8, nLayers: 1, nHeads: 2, naming: 'book', qkvBias: false, tiedHead: false });
  modelPath = tiny.checkpointPath;
  const records = Array.from({ length: 16 }, (_, i) => ({ instruction: `Name a colour (${i}).`, input: i % 2 ? `hint ${i}` : '', output: `blue ${i}` }));
  await writeFile(join(root, 'data.json'), JSON.stringify(records));
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('judgekit finetune survives kill -9', () => {
  let baselineWeights: Buffer;

  it('killed after epochs 1 and 2 are saved, a rerun trains only the rest and ends with the same weights', async () => {
    const base = await runJudgekit(finetuneArgs(join(root, 'baseline')), {});
    expect(base.code, base.stderr).toBe(0);
    const baseResult = JSON.parse(base.stdout) as { resumedFromEpoch: number; epochs: Array<{ seconds: number }> };
    expect(baseResult.resumedFromEpoch).toBe(0);
    const epochMs = Math.min(...baseResult.epochs.map((epoch) => epoch.seconds * 1000));
    baselineWeights = await readFile(join(root, 'baseline', 'finetune', 'tiny', 'model.safetensors'));

    const out = join(root, 'crashed');
    // Kill a fifth, then half, of an epoch after epoch k is saved: during the next epoch's steps, or while its
    // state is being written (timed from the baseline, so the kill lands mid-epoch on fast and slow machines).
    const delays = [0.2 * epochMs, 0.5 * epochMs];
    let committed = 0;
    for (let epoch = 1; epoch < EPOCHS; epoch++) {
      const child = startJudgekit(finetuneArgs(out), {});
      await waitFor(() => savedEpochs(out).length >= epoch || child.child.exitCode !== null, 120_000, 10);
      await new Promise((resolve) => setTimeout(resolve, delays[epoch - 1]));
      child.kill('SIGKILL');
      const result = await child.done;
      expect(result.signal ?? `exit ${result.code}`).toBe('SIGKILL');
      committed = await committedEpoch(out);
    }
    expect(committed).toBeGreaterThanOrEqual(1);
    expect(committed).toBeLessThan(EPOCHS);

    const final = await runJudgekit(finetuneArgs(out), {});
    expect(final.code, final.stderr).toBe(0);
    const result = JSON.parse(final.stdout) as { resumedFromEpoch: number; epochs: Array<{ epoch: number }> };
    // Resumed after the last committed epoch: those epochs were not trained again.
    expect(result.resumedFromEpoch).toBe(committed);
    expect(result.epochs.map((epoch) => epoch.epoch)).toEqual(Array.from({ length: EPOCHS }, (_, i) => i + 1));
    expect(savedEpochs(out)).toEqual(Array.from({ length: EPOCHS }, (_, i) => i + 1));
    const weights = await readFile(join(out, 'finetune', 'tiny', 'model.safetensors'));
    expect(weights.equals(baselineWeights)).toBe(true);
  });

  it('a truncated resume state is reported with its path, not loaded', async () => {
    const out = join(root, 'damaged');
    const resume = join(out, 'finetune', 'tiny', 'resume.safetensors');
    const child = startJudgekit(finetuneArgs(out), {});
    await waitFor(() => existsSync(resume) || child.child.exitCode !== null, 120_000, 10);
    child.kill('SIGKILL');
    await child.done;
    await truncate(resume, Math.floor((await stat(resume)).size / 2));
    const result = await runJudgekit(finetuneArgs(out), {});
    if (result.code === 0) {
      // Started over: acceptable only if it said so and trained every epoch.
      expect(result.stderr).toMatch(/resume/i);
      expect((JSON.parse(result.stdout) as { resumedFromEpoch: number }).resumedFromEpoch).toBe(0);
    } else {
      expect(result.stderr).toContain(resume);
      expect(result.stderr).not.toMatch(/unexpected error/);
    }
  });
});

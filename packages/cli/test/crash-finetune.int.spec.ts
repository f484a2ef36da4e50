// Crash safety of `judgekit finetune`: the CLI runs as a child process on a tiny GPT-2 checkpoint and is
// SIGKILLed while an epoch is being saved and in the middle of an epoch; the rerun resumes after the last epoch
// whose resume state was committed, without training it again, and ends with the same weights as an
// uninterrupted run. A damaged resume state is detected and reported, never loaded. And the kill really stops
// training: the child process the CLI re-runs itself in does not train on as an orphan.
import { decodeLog } from '@judgekit/core';
import { readSafetensorsHeader } from '@judgekit/backends';
import { createTinyGpt2 } from '@judgekit/backends/testing';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJudgekit, startJudgekit, waitFor } from './support/cli-process.js';

const EPOCHS = 3;
let root: string;
let modelPath: string;

// `judgekit finetune` normally re-runs itself in a child process (huge pages for malloc); most tests train
// in-process so a kill lands exactly where they aim it. The last test checks the child dies with the CLI.
const ENV = { JUDGEKIT_NO_HUGEPAGES: '1' };

function finetuneArgs(out: string): string[] {
  return ['finetune', modelPath, '--dataset', join(root, 'data.json'), '--out', out, '--epochs', String(EPOCHS), '--batch-size', '4', '--lr', '0.001', '--device', 'cpu', '--threads', '1', '--json'];
}

/** Processes whose command line mentions `text` (Linux /proc). */
function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (command.includes(text)) found.push(`${pid}: ${command.slice(0, 200)}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
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
  const records = Array.from({ length: 64 }, (_, i) => ({ instruction: `Name a colour (${i}).`, input: i % 2 ? `hint ${i}` : '', output: `blue ${i}` }));
  await writeFile(join(root, 'data.json'), JSON.stringify(records));
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('judgekit finetune survives kill -9', () => {
  let baselineWeights: Buffer;

  it('killed while saving an epoch and mid-epoch, a rerun trains only the uncommitted epochs and ends with the same weights', async () => {
    const base = await runJudgekit(finetuneArgs(join(root, 'baseline')), ENV);
    expect(base.code, base.stderr).toBe(0);
    expect((JSON.parse(base.stdout) as { resumedFromEpoch: number }).resumedFromEpoch).toBe(0);
    baselineWeights = await readFile(join(root, 'baseline', 'finetune', 'tiny', 'model.safetensors'));

    const out = join(root, 'crashed');
    // Kill 1: the moment epoch 1 appears in epochs.jsonl, i.e. while its weights and resume state are being saved.
    const first = startJudgekit(finetuneArgs(out), ENV);
    await waitFor(() => savedEpochs(out).length >= 1 || first.child.exitCode !== null, 120_000, 2);
    first.kill('SIGKILL');
    const firstResult = await first.done;
    expect(firstResult.signal, `first run ended by itself: ${firstResult.code} ${firstResult.stderr}`).toBe('SIGKILL');
    // Kill 2: just after the rerun commits its next epoch (the resume state is renamed into place), mid-epoch.
    const before = await committedEpoch(out);
    const second = startJudgekit(finetuneArgs(out), ENV);
    await waitFor(async () => second.child.exitCode !== null || (await committedEpoch(out)) > before, 120_000, 10);
    await new Promise((resolve) => setTimeout(resolve, 50));
    second.kill('SIGKILL');
    const secondResult = await second.done;
    expect(secondResult.signal, `second run ended by itself: ${secondResult.code} ${secondResult.stderr}`).toBe('SIGKILL');
    const committed = await committedEpoch(out);
    expect(committed).toBeGreaterThan(before);
    expect(committed).toBeLessThan(EPOCHS);

    const final = await runJudgekit(finetuneArgs(out), ENV);
    expect(final.code, final.stderr).toBe(0);
    const result = JSON.parse(final.stdout) as { resumedFromEpoch: number; epochs: Array<{ epoch: number }> };
    // Resumed after the last committed epoch: those epochs were not trained again.
    expect(result.resumedFromEpoch).toBe(committed);
    expect(result.epochs.map((epoch) => epoch.epoch)).toEqual(Array.from({ length: EPOCHS }, (_, i) => i + 1));
    expect(savedEpochs(out)).toEqual(Array.from({ length: EPOCHS }, (_, i) => i + 1));
    const weights = await readFile(join(out, 'finetune', 'tiny', 'model.safetensors'));
    expect(weights.equals(baselineWeights)).toBe(true);
  }, 240_000);

  it('a truncated resume state is reported with its path, not loaded', async () => {
    const out = join(root, 'damaged');
    const resume = join(out, 'finetune', 'tiny', 'resume.safetensors');
    const child = startJudgekit(finetuneArgs(out), ENV);
    await waitFor(() => existsSync(resume) || child.child.exitCode !== null, 120_000, 10);
    child.kill('SIGKILL');
    await child.done;
    await truncate(resume, Math.floor((await stat(resume)).size / 2));
    const result = await runJudgekit(finetuneArgs(out), ENV);
    if (result.code === 0) {
      // Started over: acceptable only if it said so and trained every epoch.
      expect(result.stderr).toMatch(/resume/i);
      expect((JSON.parse(result.stdout) as { resumedFromEpoch: number }).resumedFromEpoch).toBe(0);
    } else {
      expect(result.stderr).toContain(resume);
      expect(result.stderr).not.toMatch(/unexpected error/);
    }
  }, 120_000);

  it.skipIf(process.platform !== 'linux')('kill -9 of the CLI stops training too: no child process trains on as an orphan', async () => {
    const out = join(root, 'orphan');
    // Without JUDGEKIT_NO_HUGEPAGES: on Linux the CLI re-runs itself in a child process, which must die with it.
    const child = startJudgekit(finetuneArgs(out), {});
    await waitFor(() => savedEpochs(out).length >= 1 || child.child.exitCode !== null, 120_000, 10);
    // The CLI and the child it re-ran itself in (same arguments) are both running.
    expect(processesMentioning(out).length).toBeGreaterThanOrEqual(2);
    child.kill('SIGKILL');
    expect((await child.done).signal).toBe('SIGKILL');
    await waitFor(() => processesMentioning(out).length === 0, 5_000, 50).catch(() => undefined);
    expect(processesMentioning(out), 'processes still running on the run directory after kill -9').toEqual([]);
    const log = readFileSync(join(out, 'finetune', 'tiny', 'epochs.jsonl'), 'utf8');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(readFileSync(join(out, 'finetune', 'tiny', 'epochs.jsonl'), 'utf8')).toBe(log);
  }, 120_000);
});

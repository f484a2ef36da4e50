// Crash safety of `judgekit finetune`, run the way users run it: the CLI re-runs itself in a huge-pages child
// process (huge-pages.ts), and the test SIGKILLs the CLI process (the parent, the one a user kills) while an epoch
// is being saved and in the middle of an epoch. The child dies with it, never training on as an orphan; the rerun
// resumes after the last epoch whose resume state was committed, without training it again, and ends with the same
// weights as an uninterrupted run; the finished run keeps no resume state and a rerun is a no-op. A truncated or
// bit-flipped resume state is reported naming the file and --fresh, never loaded.
import { decodeLog } from '@judgekit/core';
import { readSafetensorsHeader } from '@judgekit/backends';
import { createTinyGpt2 } from '@judgekit/backends/testing';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processesMentioning, runJudgekit, startJudgekit, waitFor } from './support/cli-process.js';

const EPOCHS = 3;
let root: string;
let modelPath: string;

// No JUDGEKIT_NO_HUGEPAGES: on Linux `judgekit finetune` re-runs itself in a child process (huge pages for malloc),
// as it does for users. The damaged-state test trains in-process: only the rerun's error matters there.
const ENV = {};
const IN_PROCESS = { JUDGEKIT_NO_HUGEPAGES: '1' };

function finetuneArgs(out: string): string[] {
  return ['finetune', modelPath, '--dataset', join(root, 'data.json'), '--out', out, '--epochs', String(EPOCHS), '--batch-size', '4', '--lr', '0.001', '--device', 'cpu', '--threads', '1', '--json'];
}

/**
 * After a kill of the CLI: wait until no process works on `out` any more (the huge-pages child notices its parent
 * is gone and stops), and fail if one stays.
 */
async function expectNoProcessOn(out: string): Promise<void> {
  await waitFor(() => processesMentioning(out).length === 0, 10_000, 20).catch(() => undefined);
  expect(processesMentioning(out), 'processes still running on the run directory after kill -9 of the CLI').toEqual([]);
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

  it('run as users run it (huge-pages child), kill -9 of the CLI while saving an epoch and mid-epoch stops the child too; a rerun trains only the uncommitted epochs, ends with the same weights and leaves no resume state', async () => {
    const base = await runJudgekit(finetuneArgs(join(root, 'baseline')), ENV);
    expect(base.code, base.stderr).toBe(0);
    expect((JSON.parse(base.stdout) as { resumedFromEpoch: number }).resumedFromEpoch).toBe(0);
    baselineWeights = await readFile(join(root, 'baseline', 'finetune', 'tiny', 'model.safetensors'));

    const out = join(root, 'crashed');
    // Kill 1: the moment epoch 1 appears in epochs.jsonl, i.e. while its weights and resume state are being saved.
    const first = startJudgekit(finetuneArgs(out), ENV);
    await waitFor(() => savedEpochs(out).length >= 1 || first.child.exitCode !== null, 120_000, 2);
    // The CLI and the huge-pages child it re-ran itself in (same arguments) are both running; the CLI is killed.
    if (process.platform === 'linux') expect(processesMentioning(out).length).toBeGreaterThanOrEqual(2);
    first.kill('SIGKILL');
    const firstResult = await first.done;
    expect(firstResult.signal, `first run ended by itself: ${firstResult.code} ${firstResult.stderr}`).toBe('SIGKILL');
    await expectNoProcessOn(out);
    // Kill 2: just after the rerun commits its next epoch (the resume state is renamed into place), mid-epoch.
    const before = await committedEpoch(out);
    const second = startJudgekit(finetuneArgs(out), ENV);
    await waitFor(async () => second.child.exitCode !== null || (await committedEpoch(out)) > before, 120_000, 10);
    await new Promise((resolve) => setTimeout(resolve, 50));
    second.kill('SIGKILL');
    const secondResult = await second.done;
    expect(secondResult.signal, `second run ended by itself: ${secondResult.code} ${secondResult.stderr}`).toBe('SIGKILL');
    await expectNoProcessOn(out);
    // Nothing writes the run folder any more: the child did not train on after the kill.
    const logAfterKill = readFileSync(join(out, 'finetune', 'tiny', 'epochs.jsonl'), 'utf8');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(readFileSync(join(out, 'finetune', 'tiny', 'epochs.jsonl'), 'utf8')).toBe(logAfterKill);
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
    // Finished: the resume state is gone, and running the command again trains nothing and changes nothing.
    expect(existsSync(join(out, 'finetune', 'tiny', 'resume.safetensors'))).toBe(false);
    const again = await runJudgekit(finetuneArgs(out), ENV);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ resumedFromEpoch: EPOCHS, bestEpoch: EPOCHS });
    expect((await readFile(join(out, 'finetune', 'tiny', 'model.safetensors'))).equals(baselineWeights)).toBe(true);
    expect(savedEpochs(out)).toEqual(Array.from({ length: EPOCHS }, (_, i) => i + 1));
  }, 240_000);

  for (const damage of ['truncated', 'bit-flipped'] as const) {
    it(`a ${damage} resume state is refused with an error naming the file and --fresh, and --fresh starts over`, async () => {
      const out = join(root, damage);
      const resume = join(out, 'finetune', 'tiny', 'resume.safetensors');
      const child = startJudgekit(finetuneArgs(out), IN_PROCESS);
      await waitFor(() => existsSync(resume) || child.child.exitCode !== null, 120_000, 10);
      child.kill('SIGKILL');
      await child.done;
      const size = (await stat(resume)).size;
      if (damage === 'truncated') {
        await truncate(resume, Math.floor(size / 2));
      } else {
        // One bit of an AdamW moment: the header still parses and every shape still fits; only the checksum tells.
        const bytes = await readFile(resume);
        bytes[size - 9] = (bytes[size - 9] as number) ^ 0x04;
        await writeFile(resume, bytes);
      }
      const result = await runJudgekit(finetuneArgs(out), IN_PROCESS);
      expect(result.code).not.toBe(0);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(`${resume}: the resume state is damaged (${damage === 'truncated' ? 'truncated or not a safetensors file' : 'checksum mismatch'}`);
      expect(result.stderr).toContain('--fresh');
      expect(result.stderr).not.toMatch(/unexpected error/);
      const fresh = await runJudgekit([...finetuneArgs(out), '--fresh'], IN_PROCESS);
      expect(fresh.code, fresh.stderr).toBe(0);
      expect((JSON.parse(fresh.stdout) as { resumedFromEpoch: number }).resumedFromEpoch).toBe(0);
      expect((await readFile(join(out, 'finetune', 'tiny', 'model.safetensors'))).equals(baselineWeights)).toBe(true);
    }, 120_000);
  }
});

// `judgekit finetune --queue`: a coordinator and two `judgekit worker` processes on a real redis-server fine-tune a
// tiny seeded GPT-2 as one unit; the weights equal the in-process `judgekit finetune` byte for byte (CPU, one
// thread, as the in-process kill-and-resume guarantee is stated in crash-finetune.int.spec.ts). The worker holding
// the unit is SIGKILLed mid-epoch: BullMQ's stalled-job check hands the unit to the other worker, which resumes
// after the last committed epoch instead of starting over, and the final checkpoint is still the in-process one.
import { decodeLog } from '@judgekit/core';
import { readSafetensorsHeader } from '@judgekit/backends';
import { createTinyGpt2 } from '@judgekit/backends/testing';
import { redisTestSkipReason, startRedisServer, type TestRedisServer } from '@judgekit/queue/testing';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJudgekit, startJudgekit, waitFor, type CliProcess } from './support/cli-process.js';
import { workerUnits } from './support/queue-fixture.js';

const missing = redisTestSkipReason();
const EPOCHS = 3;

interface FinetuneJson {
  name: string;
  epochs: Array<{ epoch: number; trainLoss: number; validationLoss: number; steps: number; tokens: number; seconds: number; stopped: boolean }>;
  bestEpoch: number;
  stoppedEarly: boolean;
  resumedFromEpoch: number;
  worker?: string;
}

describe.skipIf(missing !== undefined)(`judgekit finetune --queue${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let redis: TestRedisServer;
  let root: string;
  let checkpoint: string;
  let dataset: string;
  let baseline: { weights: Buffer; result: FinetuneJson };
  const env: Record<string, string> = { JUDGEKIT_QUEUE_LOCK_MS: '3000', JUDGEKIT_QUEUE_STALLED_MS: '1000' };

  const args = (out: string): string[] => ['finetune', checkpoint, '--dataset', dataset, '--out', out, '--epochs', String(EPOCHS), '--batch-size', '4', '--lr', '0.001', '--device', 'cpu', '--threads', '1', '--json'];

  const startWorker = async (): Promise<CliProcess> => {
    const worker = startJudgekit(['worker', '--queue', redis.url], env);
    await waitFor(() => /judgekit worker: ready/.test(worker.stderr()) || worker.child.exitCode !== null, 60_000, 20);
    if (worker.child.exitCode !== null) throw new Error(`worker exited early: ${worker.stderr()}`);
    return worker;
  };

  const modelQueueCounts = async (): Promise<Record<string, number>> => {
    const status = await runJudgekit(['queue', 'status', '--queue', redis.url, '--json'], env);
    return status.code === 0 ? (JSON.parse(status.stdout) as { model: { counts: Record<string, number> } }).model.counts : {};
  };

  /** The epoch the resume state holds (an epoch's commit point), or 0 when there is none yet. */
  const committedEpoch = async (out: string): Promise<number> => {
    try {
      const header = await readSafetensorsHeader(join(out, 'finetune', 'tiny', 'resume.safetensors'));
      return (JSON.parse(header.metadata.judgekit_resume ?? '{}') as { epoch?: number }).epoch ?? 0;
    } catch {
      return 0;
    }
  };

  const savedEpochs = (out: string): number[] => {
    const path = join(out, 'finetune', 'tiny', 'epochs.jsonl');
    if (!existsSync(path)) return [];
    return [...decodeLog<{ epoch: number }>(readFileSync(path, 'utf8')).entries.values()].map((entry) => entry.epoch);
  };

  /** What must match the in-process run: everything but where, when and by whom. */
  const comparable = (result: FinetuneJson) => ({ name: result.name, bestEpoch: result.bestEpoch, stoppedEarly: result.stoppedEarly, epochs: result.epochs.map((epoch) => ({ ...epoch, seconds: 0 })) });

  beforeAll(async () => {
    redis = await startRedisServer();
    root = await mkdtemp(join(tmpdir(), 'judgekit-queue-finetune-'));
    await mkdir(join(root, 'model'));
    const tiny = await createTinyGpt2({ dir: join(root, 'model'), name: 'tiny', seed: 9, vocabSize: 50257, contextLength: 64, embDim: 8, nLayers: 1, nHeads: 2, naming: 'book', qkvBias: false, tiedHead: false });
    checkpoint = tiny.checkpointPath;
    dataset = join(root, 'data.json');
    await writeFile(dataset, JSON.stringify(Array.from({ length: 64 }, (_, i) => ({ instruction: `Name a colour (${i}).`, input: i % 2 ? `hint ${i}` : '', output: `blue ${i}` }))));
    // The in-process run every queued one is compared with (the CLI as users run it).
    const out = join(root, 'in-process');
    const inProcess = await runJudgekit(args(out), env, { timeoutMs: 180_000 });
    expect(inProcess.code, inProcess.stderr).toBe(0);
    baseline = { weights: await readFile(join(out, 'finetune', 'tiny', 'model.safetensors')), result: JSON.parse(inProcess.stdout) as FinetuneJson };
    expect(baseline.result.epochs.map((epoch) => epoch.epoch)).toEqual([1, 2, 3]);
  }, 240_000);

  afterAll(async () => {
    await redis?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('fine-tunes the model as one unit on a worker into the shared run directory, with the in-process weights byte for byte, a rerun reads the finished run back without training again, and --fresh trains it again from the start', async () => {
    const workers = [await startWorker(), await startWorker()];
    const out = join(root, 'queued');
    try {
      const queued = await runJudgekit([...args(out), '--queue', redis.url], env, { timeoutMs: 180_000 });
      expect(queued.stderr).not.toMatch(/unexpected error/);
      expect(queued.code, queued.stderr).toBe(0);
      expect(queued.stderr).toContain('judgekit finetune: 1/1 units through the queue');
      const result = JSON.parse(queued.stdout) as FinetuneJson;
      expect(result.resumedFromEpoch).toBe(0);
      expect(comparable(result)).toEqual(comparable(baseline.result));
      const weights = await readFile(join(out, 'finetune', 'tiny', 'model.safetensors'));
      expect(weights.equals(baseline.weights)).toBe(true);
      // Exactly one worker made the one unit; it wrote the usual files, and no resume state is left.
      const made = workers.map((worker) => workerUnits(worker.stderr()).done.size);
      expect(made.sort()).toEqual([0, 1]);
      expect(savedEpochs(out)).toEqual([1, 2, 3]);
      expect(existsSync(join(out, 'finetune', 'tiny', 'resume.safetensors'))).toBe(false);
      expect(await modelQueueCounts()).toMatchObject({ waiting: 0, active: 0, completed: 0, failed: 0 });

      // The same command again: the unit is delivered again (the first was forgotten once read), and the worker
      // finds result.json and trains nothing; the weights are untouched.
      const again = await runJudgekit([...args(out), '--queue', redis.url], env, { timeoutMs: 120_000 });
      expect(again.code, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ resumedFromEpoch: EPOCHS, bestEpoch: EPOCHS });
      expect(workers.map((worker) => worker.stderr()).join('\n')).toMatch(/tiny already finished \(epoch 3 kept\): nothing to do/);
      expect((await readFile(join(out, 'finetune', 'tiny', 'model.safetensors'))).equals(baseline.weights)).toBe(true);
      expect(savedEpochs(out)).toEqual([1, 2, 3]);

      // --fresh: the coordinator removes the finished run's files first, so the worker trains all epochs again.
      const startedBefore = workers.map((worker) => worker.stderr()).join('\n').match(/unit \S+ started/g)?.length ?? 0;
      const fresh = await runJudgekit([...args(out), '--queue', redis.url, '--fresh'], env, { timeoutMs: 180_000 });
      expect(fresh.code, fresh.stderr).toBe(0);
      expect(JSON.parse(fresh.stdout)).toMatchObject({ resumedFromEpoch: 0, bestEpoch: EPOCHS });
      expect(workers.map((worker) => worker.stderr()).join('\n').match(/unit \S+ started/g)?.length).toBe(startedBefore + 1);
      expect((await readFile(join(out, 'finetune', 'tiny', 'model.safetensors'))).equals(baseline.weights)).toBe(true);
    } finally {
      for (const worker of workers) worker.kill('SIGTERM');
      await Promise.all(workers.map((worker) => worker.done));
    }
  }, 300_000);

  it('hands the unit of a worker SIGKILLed mid-epoch to the other worker, which resumes after the last committed epoch and ends with the in-process checkpoint byte for byte', async () => {
    const workers = [await startWorker(), await startWorker()];
    const out = join(root, 'killed');
    try {
      const coordinator = startJudgekit([...args(out), '--queue', redis.url], env);
      // Kill the worker holding the unit once epoch 1 is committed, while it trains epoch 2.
      await waitFor(async () => (await committedEpoch(out)) >= 1 || coordinator.child.exitCode !== null, 180_000, 5);
      const holder = workers.find((worker) => workerUnits(worker.stderr()).started.size > 0) as CliProcess;
      const other = workers.find((worker) => worker !== holder) as CliProcess;
      holder.kill('SIGKILL');
      expect((await holder.done).signal).toBe('SIGKILL');
      const committed = await committedEpoch(out);
      expect(committed).toBeGreaterThanOrEqual(1);
      expect(committed).toBeLessThan(EPOCHS);

      const result = await coordinator.done;
      expect(result.stderr).not.toMatch(/unexpected error/);
      expect(result.code, result.stderr).toBe(0);
      const json = JSON.parse(result.stdout) as FinetuneJson;
      // The other worker resumed from the dead one's resume state: it did not start over.
      expect(json.resumedFromEpoch).toBe(committed);
      expect(json.worker).toMatch(new RegExp(` pid ${other.child.pid}$`));
      expect(other.stderr()).toMatch(new RegExp(`resuming tiny after epoch ${committed}`));
      expect(workerUnits(other.stderr()).done.size).toBe(1);
      expect(comparable(json)).toEqual(comparable(baseline.result));
      expect(savedEpochs(out)).toEqual([1, 2, 3]);
      expect((await readFile(join(out, 'finetune', 'tiny', 'model.safetensors'))).equals(baseline.weights)).toBe(true);
      expect(existsSync(join(out, 'finetune', 'tiny', 'resume.safetensors'))).toBe(false);
    } finally {
      for (const worker of workers) worker.kill('SIGKILL');
      await Promise.all(workers.map((worker) => worker.done));
    }
  }, 300_000);
  it('reattaches a rerun coordinator to the unit after the first coordinator is SIGKILLed mid-epoch: the worker makes the unit once, uninterrupted, and the weights are the in-process ones', async () => {
    const worker = await startWorker();
    const out = join(root, 'coordinator-killed');
    try {
      const first = startJudgekit([...args(out), '--queue', redis.url], env);
      await waitFor(async () => (await committedEpoch(out)) >= 1 || first.child.exitCode !== null, 180_000, 5);
      first.kill('SIGKILL');
      expect((await first.done).signal).toBe('SIGKILL');
      expect(await committedEpoch(out)).toBeLessThan(EPOCHS);

      // The same command again: the same job id, so BullMQ adds nothing and the rerun waits for (or reads back) the
      // unit the worker went on making.
      const rerun = await runJudgekit([...args(out), '--queue', redis.url], env, { timeoutMs: 180_000 });
      expect(rerun.stderr).not.toMatch(/unexpected error/);
      expect(rerun.code, rerun.stderr).toBe(0);
      const json = JSON.parse(rerun.stdout) as FinetuneJson;
      expect(json.resumedFromEpoch).toBe(0);
      expect(comparable(json)).toEqual(comparable(baseline.result));
      expect([...worker.stderr().matchAll(/unit (\S+) started/g)]).toHaveLength(1);
      expect([...worker.stderr().matchAll(/unit (\S+) done/g)]).toHaveLength(1);
      expect((await readFile(join(out, 'finetune', 'tiny', 'model.safetensors'))).equals(baseline.weights)).toBe(true);
      expect(await modelQueueCounts()).toMatchObject({ waiting: 0, active: 0, completed: 0, failed: 0 });
    } finally {
      worker.kill('SIGKILL');
      await worker.done;
    }
  }, 300_000);
});

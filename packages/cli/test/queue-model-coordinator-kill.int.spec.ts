// `judgekit loss --queue` and `judgekit generate --queue` coordinators SIGKILLed mid-run and started again with the
// same command: the rerun enqueues the same content job ids, reads the units the workers finished meanwhile back from
// BullMQ (no worker makes any unit twice), and ends with the in-process run's loss bit for bit and answer file byte
// for byte.
import { createTinyGpt2 } from '@judgekit/backends/testing';
import { decodeLog } from '@judgekit/core';
import { redisTestSkipReason, startRedisServer, type TestRedisServer } from '@judgekit/queue/testing';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJudgekit, startJudgekit, waitFor, type CliProcess } from './support/cli-process.js';
import { workerUnits } from './support/queue-fixture.js';

const missing = redisTestSkipReason();
const RECORDS = 24;

describe.skipIf(missing !== undefined)(`judgekit loss|generate --queue coordinator killed and rerun${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let redis: TestRedisServer;
  let root: string;
  const env: Record<string, string> = { JUDGEKIT_QUEUE_LOCK_MS: '3000', JUDGEKIT_QUEUE_STALLED_MS: '1000' };

  const startWorker = async (): Promise<CliProcess> => {
    const worker = startJudgekit(['worker', '--queue', redis.url], env);
    await waitFor(() => /judgekit worker: ready/.test(worker.stderr()) || worker.child.exitCode !== null, 60_000, 20);
    if (worker.child.exitCode !== null) throw new Error(`worker exited early: ${worker.stderr()}`);
    return worker;
  };

  /** Every `unit ... done` line of the workers' logs (a unit made twice counts twice). */
  const doneLines = (workers: CliProcess[]): string[] => workers.flatMap((worker) => [...worker.stderr().matchAll(/unit (\S+) done/g)].map((match) => match[1] as string));

  const modelQueueCounts = async (): Promise<Record<string, number>> => {
    const status = await runJudgekit(['queue', 'status', '--queue', redis.url, '--json'], env);
    return status.code === 0 ? (JSON.parse(status.stdout) as { model: { counts: Record<string, number> } }).model.counts : {};
  };

  beforeAll(async () => {
    redis = await startRedisServer();
    root = await mkdtemp(join(tmpdir(), 'judgekit-queue-model-kill-'));
  }, 60_000);

  afterAll(async () => {
    await redis?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('gives the in-process loss bit for bit after the loss coordinator is SIGKILLed and rerun, and the rerun reads back the units finished while it was down instead of having them made again', async () => {
    await createTinyGpt2({ dir: root, name: 'lossy', vocabSize: 50257, contextLength: 64, embDim: 32, nLayers: 1, nHeads: 2, naming: 'book' });
    const checkpoint = join(root, 'lossy.safetensors');
    const data = join(root, 'held-out.txt');
    await writeFile(data, Array.from({ length: 600 }, (_, i) => `Document ${i} talks about colours, numbers and the weather.`).join('<|endoftext|>'));
    const common = ['loss', checkpoint, data, '--device', 'cpu', '--batch-size', '4', '--json'];
    const inProcess = await runJudgekit(common, env);
    expect(inProcess.stderr).not.toMatch(/unexpected error/);
    expect(inProcess.code).toBe(0);
    const baseline = JSON.parse(inProcess.stdout) as { loss: number; meanOfBatchMeans: number; tokenMean: number; batches: number; seconds: number };
    const units = baseline.batches;
    expect(units).toBeGreaterThanOrEqual(20);

    const args = [...common, '--queue', redis.url, '--unit-batches', '1'];
    const workers = [await startWorker(), await startWorker()];
    try {
      const first = startJudgekit(args, env);
      // Kill once the workers have finished a few units and most are still to make.
      await waitFor(() => doneLines(workers).length >= 3 || first.child.exitCode !== null, 90_000, 2);
      first.kill('SIGKILL');
      expect((await first.done).signal).toBe('SIGKILL');
      const doneAtKill = doneLines(workers).length;
      expect(doneAtKill).toBeLessThan(units);
      // Let the workers finish units the dead coordinator had enqueued: the rerun must take them from BullMQ.
      await waitFor(() => doneLines(workers).length > doneAtKill, 60_000, 20);
      const doneBeforeRerun = doneLines(workers).length;

      const rerun = await runJudgekit(args, env);
      expect(rerun.stderr).not.toMatch(/unexpected error/);
      expect(rerun.code).toBe(0);
      const line = new RegExp(`judgekit loss: ${units}/${units} units through the queue \\(units ${units}/${units}, (\\d+) reattached`).exec(rerun.stderr);
      expect(line, rerun.stderr).not.toBeNull();
      expect(Number(line?.[1])).toBeGreaterThanOrEqual(doneBeforeRerun);

      // Every unit was made once, by one worker: none of those finished before the rerun was made again.
      const done = doneLines(workers);
      expect(done).toHaveLength(units);
      expect(new Set(done).size).toBe(units);

      const result = JSON.parse(rerun.stdout) as typeof baseline;
      // Bit for bit: Object.is on the float64 numbers, not a tolerance.
      expect(result.loss).toBe(baseline.loss);
      expect(result.meanOfBatchMeans).toBe(baseline.meanOfBatchMeans);
      expect(result.tokenMean).toBe(baseline.tokenMean);
      expect({ ...result, seconds: 0 }).toEqual({ ...baseline, seconds: 0 });
      // The rerun removes the units it read back, those of the killed session included.
      expect(await modelQueueCounts()).toMatchObject({ waiting: 0, active: 0, completed: 0, failed: 0 });
    } finally {
      for (const worker of workers) worker.kill('SIGKILL');
      await Promise.all(workers.map((worker) => worker.done));
    }
  }, 240_000);

  it("gives the in-process answer file byte for byte after the generate coordinator is SIGKILLed and rerun, and the rerun reads back the chunks finished while it was down instead of having them made again", async () => {
    await createTinyGpt2({ dir: root, name: 'tiny', vocabSize: 50257, contextLength: 512, embDim: 8, nLayers: 1, nHeads: 2, naming: 'book' });
    const checkpoint = join(root, 'tiny.safetensors');
    const dataset = join(root, 'alpaca.json');
    const records = Array.from({ length: RECORDS }, (_, i) => ({ instruction: `Name ${i + 1} colour${i === 0 ? '' : 's'} of the ${['sky', 'sea', 'forest'][i % 3]}.`, input: i % 2 === 0 ? '' : `Think of item ${'x'.repeat(i)}.`, output: `Blue ${i}` }));
    await writeFile(dataset, JSON.stringify(records));
    const args = (out: string): string[] => ['generate', checkpoint, '--dataset', dataset, '--split', 'all', '--batch-size', '2', '--max-new-tokens', '200', '--device', 'cpu', '--out', out, '--quiet'];
    const inProcessOut = join(root, 'in-process');
    const inProcess = await runJudgekit(args(inProcessOut), env);
    expect(inProcess.stderr).not.toMatch(/unexpected error/);
    expect(inProcess.code).toBe(0);

    const queuedOut = join(root, 'queued');
    const logPath = join(queuedOut, 'tiny.generation.jsonl');
    const logged = async (): Promise<number> => decodeLog(await readFile(logPath, 'utf8').catch(() => '')).entries.size;
    // 1 unit that opens the model, then one per chunk of 2 prompts.
    const units = 1 + RECORDS / 2;
    const workers = [await startWorker(), await startWorker()];
    try {
      const first = startJudgekit([...args(queuedOut), '--queue', redis.url], env);
      // Kill once some answers are logged and most are not.
      await waitFor(async () => (await logged()) >= 2 || first.child.exitCode !== null, 90_000, 2);
      first.kill('SIGKILL');
      expect((await first.done).signal).toBe('SIGKILL');
      const loggedBeforeRerun = await logged();
      expect(loggedBeforeRerun).toBeLessThan(RECORDS);
      // Whole chunks were logged: the rerun cuts the rest into the same chunks, so the same job ids.
      expect(loggedBeforeRerun % 2).toBe(0);
      const doneAtKill = doneLines(workers).length;
      expect(doneAtKill).toBeLessThan(units);
      await waitFor(() => doneLines(workers).length > doneAtKill, 60_000, 20);
      const doneBeforeRerun = doneLines(workers).length;

      const rerun = await runJudgekit([...args(queuedOut), '--queue', redis.url], env);
      expect(rerun.stderr).not.toMatch(/unexpected error/);
      expect(rerun.code).toBe(0);
      // The rerun resumes the logged answers and takes the rest from the queue: the opening unit and the unlogged chunks.
      const rerunUnits = 1 + (RECORDS - loggedBeforeRerun) / 2;
      const line = new RegExp(`judgekit generate: ${rerunUnits}/${rerunUnits} units through the queue \\(units ${rerunUnits}/${rerunUnits}, (\\d+) reattached`).exec(rerun.stderr);
      expect(line, rerun.stderr).not.toBeNull();
      // Every unit finished before the rerun whose answers were not logged is read back: the opening unit and those chunks.
      expect(Number(line?.[1])).toBeGreaterThanOrEqual(doneBeforeRerun - loggedBeforeRerun / 2);
      expect(rerun.stdout).toMatch(new RegExp(`tiny-ift-test-results.json: ${RECORDS} answers \\(${RECORDS - loggedBeforeRerun} generated.*${loggedBeforeRerun} resumed`));

      // Every unit was made once, by one worker: none was made again for the rerun.
      const done = doneLines(workers);
      expect(new Set(done).size).toBe(units);
      expect(done).toHaveLength(units);
      for (const worker of workers) expect(workerUnits(worker.stderr()).started.size).toBe(workerUnits(worker.stderr()).done.size);

      const answers = (out: string) => readFile(join(out, 'tiny-ift-test-results.json'), 'utf8');
      expect(await answers(queuedOut)).toBe(await answers(inProcessOut));
      expect(JSON.parse(await answers(queuedOut)).some((record: { model_response: string }) => record.model_response.length > 0)).toBe(true);
      expect(await logged()).toBe(RECORDS);
    } finally {
      for (const worker of workers) worker.kill('SIGKILL');
      await Promise.all(workers.map((worker) => worker.done));
    }
  }, 240_000);
});

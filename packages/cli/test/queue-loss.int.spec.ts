// `judgekit loss --queue`: a coordinator and two `judgekit worker` processes on a real redis-server score a tiny
// seeded GPT-2 in units of whole batches; the loss equals the in-process `judgekit loss` bit for bit. A checkpoint
// missing on the worker fails its unit with a message naming the file, and a rerun once it is back finishes.
import { createTinyGpt2 } from '@judgekit/backends/testing';
import { redisTestSkipReason, startRedisServer, type TestRedisServer } from '@judgekit/queue/testing';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJudgekit, startJudgekit, waitFor, type CliProcess } from './support/cli-process.js';
import { workerUnits } from './support/queue-fixture.js';

const missing = redisTestSkipReason();

interface LossJson {
  loss: number;
  meanOfBatchMeans: number;
  tokenMean: number;
  tokens: number;
  batches: number;
  windows: number;
  perplexity: number;
  seconds: number;
  device: string;
  protocol: Record<string, unknown>;
}

describe.skipIf(missing !== undefined)(`judgekit loss --queue${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let redis: TestRedisServer;
  let root: string;
  let checkpoint: string;
  let data: string;
  const env = (): Record<string, string> => ({ JUDGEKIT_QUEUE_LOCK_MS: '3000', JUDGEKIT_QUEUE_STALLED_MS: '1000' });

  const startWorker = async (): Promise<CliProcess> => {
    const worker = startJudgekit(['worker', '--queue', redis.url], env());
    await waitFor(() => /judgekit worker: ready/.test(worker.stderr()) || worker.child.exitCode !== null, 60_000, 20);
    if (worker.child.exitCode !== null) throw new Error(`worker exited early: ${worker.stderr()}`);
    return worker;
  };

  const modelQueueCounts = async (): Promise<Record<string, number>> => {
    const status = await runJudgekit(['queue', 'status', '--queue', redis.url, '--json'], env());
    return status.code === 0 ? (JSON.parse(status.stdout) as { model: { counts: Record<string, number> } }).model.counts : {};
  };

  beforeAll(async () => {
    redis = await startRedisServer();
    root = await mkdtemp(join(tmpdir(), 'judgekit-queue-loss-'));
    await createTinyGpt2({ dir: root, name: 'tiny', vocabSize: 50257, contextLength: 16, embDim: 8, nLayers: 1, nHeads: 2, naming: 'book' });
    checkpoint = join(root, 'tiny.safetensors');
    data = join(root, 'held-out.txt');
    // About 280 tokens: 17 or 18 windows of 16 (the last one partial), 9 batches of 2, so 3 units of 3 batches.
    await writeFile(data, Array.from({ length: 24 }, (_, i) => `Document ${i} talks about colours, numbers and the weather.`).join('<|endoftext|>'));
  }, 60_000);

  afterAll(async () => {
    await redis?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('names the checkpoint missing on the worker and the shared-storage rule, and a rerun after it is back retries the unit and finishes', async () => {
    const args = ['loss', checkpoint, data, '--device', 'cpu', '--batch-size', '2', '--unit-batches', '3', '--queue', redis.url, '--json'];
    const coordinator = startJudgekit(args, env());
    // The coordinator has read the checkpoint (its checksum is in the unit); the worker's machine lacks it.
    await waitFor(async () => (await modelQueueCounts()).waiting === 1 || coordinator.child.exitCode !== null, 60_000, 200);
    await rename(checkpoint, `${checkpoint}.away`);
    let worker: CliProcess | undefined;
    try {
      worker = await startWorker();
      const result = await coordinator.done;
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`checkpoint ${checkpoint} is missing on worker`);
      expect(result.stderr).toMatch(/every worker must see them at the same path \(shared storage\)/);

      await rename(`${checkpoint}.away`, checkpoint);
      const rerun = await runJudgekit(args, env());
      expect(rerun.stderr).not.toMatch(/unexpected error/);
      expect(rerun.code).toBe(0);
      expect(rerun.stderr).toMatch(/failed before .*checkpoint .* is missing.*retrying it/);
      const { batches } = JSON.parse(rerun.stdout) as LossJson;
      expect(batches).toBeGreaterThanOrEqual(8);
      expect(rerun.stderr).toContain(`judgekit loss: ${Math.ceil(batches / 3)}/${Math.ceil(batches / 3)} units through the queue`);
    } finally {
      worker?.kill('SIGKILL');
      await worker?.done;
    }
  }, 180_000);

  it.each([
    ['non-overlapping windows (mean of batch means)', []],
    ['strided windows (token mean)', ['--stride', '5', '--start-token', '3']],
  ])('gives the in-process loss bit for bit with a coordinator and two workers: %s', async (_name, protocol) => {
    const common = ['loss', checkpoint, data, '--device', 'cpu', '--batch-size', '2', ...protocol, '--json'];
    const inProcess = await runJudgekit(common, env());
    expect(inProcess.stderr).not.toMatch(/unexpected error/);
    expect(inProcess.code).toBe(0);
    const baseline = JSON.parse(inProcess.stdout) as LossJson;
    expect(baseline.batches).toBeGreaterThanOrEqual(8);

    const workers = [await startWorker(), await startWorker()];
    try {
      const queued = await runJudgekit([...common, '--queue', redis.url, '--unit-batches', '3'], env());
      expect(queued.stderr).not.toMatch(/unexpected error/);
      expect(queued.code).toBe(0);
      const result = JSON.parse(queued.stdout) as LossJson;
      // Bit for bit: Object.is on the float64 numbers, not a tolerance.
      expect(result.loss).toBe(baseline.loss);
      expect(result.meanOfBatchMeans).toBe(baseline.meanOfBatchMeans);
      expect(result.tokenMean).toBe(baseline.tokenMean);
      expect({ ...result, seconds: 0 }).toEqual({ ...baseline, seconds: 0 });
      const units = Math.ceil(baseline.batches / 3);
      expect(queued.stderr).toContain(`judgekit loss: ${units}/${units} units through the queue`);
      // Every unit was made by one of the two workers (a unit may be made twice only if a worker stalled).
      const done = workers.flatMap((worker) => [...workerUnits(worker.stderr()).done]);
      expect(new Set(done).size).toBe(units);
      // Finished units are removed from Redis once the coordinator has their batches.
      expect(await modelQueueCounts()).toMatchObject({ waiting: 0, active: 0, completed: 0, failed: 0 });
    } finally {
      for (const worker of workers) worker.kill('SIGTERM');
      await Promise.all(workers.map((worker) => worker.done));
    }
  }, 180_000);
});

// `judgekit loss --queue` and `judgekit generate --queue` on a tiny Llama checkpoint: the coordinator encodes prompts
// with the checkpoint's own tokenizer.json and the worker reads text data with it, so the queued loss equals the
// in-process loss bit for bit and the queued answers equal the in-process answers byte for byte.
import { createTinyLlama, type TinyLlama } from '@judgekit/backends/testing';
import { redisTestSkipReason, startRedisServer, type TestRedisServer } from '@judgekit/queue/testing';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJudgekit, startJudgekit, waitFor, type CliProcess } from './support/cli-process.js';

const missing = redisTestSkipReason();
const RECORDS = 10;

describe.skipIf(missing !== undefined)(`a Llama checkpoint through the queue${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let redis: TestRedisServer;
  let root: string;
  let tiny: TinyLlama;
  let data: string;
  let dataset: string;
  let worker: CliProcess | undefined;
  const env: Record<string, string> = { JUDGEKIT_QUEUE_LOCK_MS: '3000', JUDGEKIT_QUEUE_STALLED_MS: '1000' };

  beforeAll(async () => {
    redis = await startRedisServer();
    root = await mkdtemp(join(tmpdir(), 'judgekit-queue-llama-'));
    tiny = await createTinyLlama({ dir: join(root, 'tiny-llama'), seed: 7, contextLength: 64, nHeads: 4, nKvHeads: 2 });
    data = join(root, 'held-out.txt');
    await writeFile(data, Array.from({ length: 12 }, (_, i) => `Document ${i} is about the weather and the sea.`).join('</s>'));
    dataset = join(root, 'alpaca.json');
    await writeFile(dataset, JSON.stringify(Array.from({ length: RECORDS }, (_, i) => ({ instruction: `Name the colour of item ${i}.`, input: i % 2 ? `hint ${i}` : '', output: `blue ${i}` }))));
    worker = startJudgekit(['worker', '--queue', redis.url], env);
    await waitFor(() => /judgekit worker: ready/.test(worker!.stderr()) || worker!.child.exitCode !== null, 60_000, 20);
    if (worker.child.exitCode !== null) throw new Error(`worker exited early: ${worker.stderr()}`);
  }, 90_000);

  afterAll(async () => {
    worker?.kill('SIGKILL');
    await worker?.done;
    await redis?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it("scores the held-out text with the Llama tokenizer on a worker, bit for bit the in-process loss", async () => {
    const args = ['loss', tiny.checkpointPath, data, '--device', 'cpu', '--batch-size', '2', '--unit-batches', '1', '--json'];
    const inProcess = await runJudgekit(args, env);
    expect(inProcess.stderr).not.toMatch(/unexpected error/);
    expect(inProcess.code).toBe(0);
    const queued = await runJudgekit([...args, '--queue', redis.url], env);
    expect(queued.stderr).not.toMatch(/unexpected error/);
    expect(queued.code).toBe(0);
    const local = JSON.parse(inProcess.stdout) as { loss: number; tokens: number; protocol: Record<string, unknown> };
    const remote = JSON.parse(queued.stdout) as { loss: number; tokens: number; protocol: Record<string, unknown> };
    expect(JSON.stringify(remote.protocol)).toMatch(/Llama/);
    expect(remote.tokens).toBe(local.tokens);
    expect(remote.loss).toBe(local.loss);
    expect(Number.isFinite(remote.loss)).toBe(true);
  }, 120_000);

  it('encodes prompts with the checkpoint tokenizer on the coordinator, and the worker answers byte for byte as in process', async () => {
    const args = (out: string): string[] => ['generate', tiny.checkpointPath, '--dataset', dataset, '--split', 'all', '--batch-size', '2', '--max-new-tokens', '12', '--device', 'cpu', '--out', out, '--quiet'];
    const inProcessOut = join(root, 'in-process');
    const inProcess = await runJudgekit(args(inProcessOut), env);
    expect(inProcess.stderr).not.toMatch(/unexpected error/);
    expect(inProcess.code).toBe(0);
    const queuedOut = join(root, 'queued');
    const queued = await runJudgekit([...args(queuedOut), '--queue', redis.url], env);
    expect(queued.stderr).not.toMatch(/unexpected error/);
    expect(queued.code).toBe(0);
    expect(queued.stderr).toMatch(/units through the queue/);
    const answers = async (out: string): Promise<string> => {
      const names = (await import('node:fs/promises')).readdir(out);
      const file = (await names).find((name) => name.endsWith('-ift-test-results.json'));
      if (!file) throw new Error(`no answer file in ${out}`);
      return readFile(join(out, file), 'utf8');
    };
    const local = await answers(inProcessOut);
    expect(JSON.parse(local)).toHaveLength(RECORDS);
    expect(await answers(queuedOut)).toBe(local);
  }, 120_000);
});

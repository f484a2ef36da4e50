// `judgekit generate --queue`: a coordinator and two `judgekit worker` processes on a real redis-server generate a
// tiny seeded GPT-2's greedy answers, one forward chunk per unit; one worker is SIGKILLed while it generates a chunk.
// The other takes the chunk over, and the answer file and resume log equal an in-process run's.
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

describe.skipIf(missing !== undefined)(`judgekit generate --queue${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let redis: TestRedisServer;
  let root: string;
  let checkpoint: string;
  let dataset: string;
  const env: Record<string, string> = { JUDGEKIT_QUEUE_LOCK_MS: '3000', JUDGEKIT_QUEUE_STALLED_MS: '1000' };

  const startWorker = async (): Promise<CliProcess> => {
    const worker = startJudgekit(['worker', '--queue', redis.url], env);
    await waitFor(() => /judgekit worker: ready/.test(worker.stderr()) || worker.child.exitCode !== null, 60_000, 20);
    if (worker.child.exitCode !== null) throw new Error(`worker exited early: ${worker.stderr()}`);
    return worker;
  };

  beforeAll(async () => {
    redis = await startRedisServer();
    root = await mkdtemp(join(tmpdir(), 'judgekit-queue-generate-'));
    await createTinyGpt2({ dir: root, name: 'tiny', vocabSize: 50257, contextLength: 512, embDim: 8, nLayers: 1, nHeads: 2, naming: 'book' });
    checkpoint = join(root, 'tiny.safetensors');
    dataset = join(root, 'alpaca.json');
    const records = Array.from({ length: RECORDS }, (_, i) => ({ instruction: `Name ${i + 1} colour${i === 0 ? '' : 's'} of the ${['sky', 'sea', 'forest'][i % 3]}.`, input: i % 2 === 0 ? '' : `Think of item ${'x'.repeat(i)}.`, output: `Blue ${i}` }));
    await writeFile(dataset, JSON.stringify(records));
  }, 60_000);

  afterAll(async () => {
    await redis?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it("gives the in-process greedy answers when a worker is SIGKILLed mid-chunk: the other worker takes its unit over and the answer file and log equal the in-process run's", async () => {
    const args = (out: string): string[] => ['generate', checkpoint, '--dataset', dataset, '--split', 'all', '--batch-size', '2', '--max-new-tokens', '200', '--device', 'cpu', '--out', out, '--quiet'];
    const inProcessOut = join(root, 'in-process');
    const inProcess = await runJudgekit(args(inProcessOut), env);
    expect(inProcess.stderr).not.toMatch(/unexpected error/);
    expect(inProcess.code).toBe(0);

    const workers = [await startWorker(), await startWorker()];
    try {
      const queuedOut = join(root, 'queued');
      const coordinator = startJudgekit([...args(queuedOut), '--queue', redis.url], env);
      const victim = workers[0] as CliProcess;
      // Mid-run: the victim has finished a unit and holds another, unfinished.
      await waitFor(() => {
        const units = workerUnits(victim.stderr());
        return (units.done.size >= 1 && units.started.size > units.done.size) || coordinator.child.exitCode !== null;
      }, 90_000, 2);
      victim.kill('SIGKILL');
      const killed = await victim.done;
      expect(killed.signal).toBe('SIGKILL');
      const victimUnits = workerUnits(killed.stderr);
      const orphaned = [...victimUnits.started].filter((unit) => !victimUnits.done.has(unit));
      expect(orphaned.length).toBeGreaterThan(0);

      const result = await coordinator.done;
      expect(result.stderr).not.toMatch(/unexpected error/);
      expect(result.code).toBe(0);
      // 1 unit that opens the model, then one per chunk of 2 prompts.
      expect(result.stderr).toContain(`judgekit generate: ${1 + RECORDS / 2}/${1 + RECORDS / 2} units through the queue`);
      expect(result.stdout).toMatch(new RegExp(`tiny-ift-test-results.json: ${RECORDS} answers \\(${RECORDS} generated`));
      const survivor = workerUnits((workers[1] as CliProcess).stderr());
      for (const unit of orphaned) expect(survivor.done.has(unit), `unit ${unit} of the killed worker was not taken over`).toBe(true);

      // The same answers, byte for byte, and the same resume log entries (written in another order).
      const answers = (out: string) => readFile(join(out, 'tiny-ift-test-results.json'), 'utf8');
      expect(await answers(queuedOut)).toBe(await answers(inProcessOut));
      const log = async (out: string) => Object.fromEntries([...decodeLog<Record<string, unknown>>(await readFile(join(out, 'tiny.generation.jsonl'), 'utf8')).entries].sort(([a], [b]) => Number(a) - Number(b)));
      const logged = await log(queuedOut);
      expect(Object.keys(logged)).toHaveLength(RECORDS);
      expect(logged).toEqual(await log(inProcessOut));
      // Not all answers are empty: the comparison compares generated text.
      expect(JSON.parse(await answers(queuedOut)).some((record: { model_response: string }) => record.model_response.length > 0)).toBe(true);

      // A rerun resumes every answer from the log: no chunk goes to the queue (only the unit that opens the model).
      const rerun = await runJudgekit([...args(queuedOut), '--queue', redis.url], env);
      expect(rerun.code).toBe(0);
      expect(rerun.stdout).toMatch(new RegExp(`${RECORDS} answers \\(0 generated.*${RECORDS} resumed`));
    } finally {
      for (const worker of workers) worker.kill('SIGKILL');
      await Promise.all(workers.map((worker) => worker.done));
    }
  }, 240_000);
});

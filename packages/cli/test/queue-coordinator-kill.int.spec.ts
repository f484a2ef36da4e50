// A `judgekit judge --queue` coordinator SIGKILLed mid-run and started again with the same command: it enqueues the
// same job ids, reads the units finished meanwhile back from BullMQ and the rest from its run directory, and ends
// with the in-process run's results; no request is asked more than twice (here: none at all, as no worker died), and
// run.json's spent totals count every request once.
import { redisTestSkipReason } from '@judgekit/queue/testing';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJudgekit, startJudgekit, waitFor, type CliProcess } from './support/cli-process.js';
import { judgeArgs, queueEnv, readJudgments, readResults, requestsByItem, scoresByKey, startQueueFixture, startWorker, type QueueFixture } from './support/queue-fixture.js';

const ITEMS = 48;
const UNIT_SIZE = 4;
const CONCURRENCY = 2;
const missing = redisTestSkipReason();

describe.skipIf(missing !== undefined)(`judgekit judge --queue coordinator killed and rerun${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let fixture: QueueFixture;

  beforeAll(async () => {
    fixture = await startQueueFixture(ITEMS, 150);
  });

  afterAll(async () => {
    await fixture?.close();
  });

  it("the rerun reattaches to the queue (units finished while it was down are read back, not redone) and gives the in-process results with no request asked twice, and every request once in run.json's spent totals", async () => {
    const baselineOut = join(fixture.root, 'in-process');
    const baseline = await runJudgekit(judgeArgs(fixture, baselineOut, 8), queueEnv(fixture, join(fixture.root, 'in-process-cache')));
    expect(baseline.code).toBe(0);

    const env = queueEnv(fixture, join(fixture.root, 'queue-cache'));
    const firstRequest = fixture.server.requests.length;
    const outDir = join(fixture.root, 'queue-run');
    const args = judgeArgs(fixture, outDir, CONCURRENCY, ['--queue', fixture.redis.url, '--unit-size', String(UNIT_SIZE)]);
    const workers: CliProcess[] = [];
    try {
      for (let i = 0; i < 2; i++) workers.push(await startWorker(fixture, env));
      const first = startJudgekit(args, env);
      // Kill once some judgments are logged and most are not.
      await waitFor(async () => (await readJudgments(outDir)).size >= 8 || first.child.exitCode !== null, 60_000, 10);
      first.kill('SIGKILL');
      expect((await first.done).signal).toBe('SIGKILL');
      const loggedBeforeRerun = (await readJudgments(outDir)).size;
      expect(loggedBeforeRerun).toBeLessThan(ITEMS);
      // Let the workers finish units the dead coordinator had enqueued: the rerun must take them from BullMQ.
      await waitFor(() => workers.some((worker) => /unit \S+ done/.test(worker.stderr())), 30_000, 20);
      await new Promise((resolve) => setTimeout(resolve, 500));

      const rerun = await runJudgekit(args, env);
      expect(rerun.stderr).not.toMatch(/unexpected error/);
      expect(rerun.code).toBe(0);
      const reattached = Number(/(\d+) reattached/.exec(rerun.stderr)?.[1] ?? 0);
      expect(reattached).toBeGreaterThan(0);

      const entries = await readJudgments(outDir);
      expect(entries.size).toBe(ITEMS);
      expect(scoresByKey(entries)).toEqual(scoresByKey(await readJudgments(baselineOut)));
      expect(await readResults(outDir)).toEqual(await readResults(baselineOut));

      const asked = requestsByItem(fixture.server, firstRequest);
      expect([...asked.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: ITEMS }, (_, i) => i));
      expect(Math.max(...asked.values())).toBeLessThanOrEqual(2);
      expect(fixture.server.requests.length - firstRequest).toBe(ITEMS);
      // Every request is in the spent totals once: the units the killed coordinator recorded, and those finished while
      // it was down (read back by the rerun), each under its own unit id in spend.jsonl.
      const spent = JSON.parse(await readFile(join(outDir, 'run.json'), 'utf8')) as { calls: { spent: { requests: number } } };
      expect(spent.calls.spent.requests).toBe(ITEMS);
      const keys = (await readFile(join(outDir, 'spend.jsonl'), 'utf8')).trim().split('\n').map((line) => (JSON.parse(line) as { key: string }).key);
      expect(new Set(keys).size).toBe(keys.length);
    } finally {
      for (const worker of workers) worker.kill('SIGKILL');
      await Promise.all(workers.map((worker) => worker.done));
    }
  }, 180_000);
});

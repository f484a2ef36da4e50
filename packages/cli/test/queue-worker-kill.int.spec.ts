// A coordinator and three `judgekit worker` processes on a real redis-server, judging against the local judge
// server; one worker is SIGKILLed while it holds units with calls in flight. Another worker takes its units over
// (BullMQ's stalled-job check, shortened here), nothing is lost, the results equal an in-process run's, and the
// server was asked again only for the calls the killed worker had in flight (the rest come from the shared cache).
import { redisTestSkipReason } from '@judgekit/queue/testing';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJudgekit, startJudgekit, waitFor, type CliProcess } from './support/cli-process.js';
import { judgeArgs, queueEnv, readJudgments, readResults, requestsByItem, scoresByKey, startQueueFixture, startWorker, workerUnits, type QueueFixture } from './support/queue-fixture.js';

const ITEMS = 60;
const UNIT_SIZE = 4;
/** Judge calls in flight per worker: the most a killed worker can leave half-done. */
const CONCURRENCY = 3;
const missing = redisTestSkipReason();

describe.skipIf(missing !== undefined)(`judgekit worker killed mid-run${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let fixture: QueueFixture;

  beforeAll(async () => {
    // Slow replies, so the kill lands while the worker waits on calls.
    fixture = await startQueueFixture(ITEMS, 250);
  });

  afterAll(async () => {
    await fixture?.close();
  });

  it('another worker finishes the killed worker\'s units: every judgment made, results equal to the in-process run, each item asked at most twice and repeats within the killed worker\'s calls in flight', async () => {
    const baselineOut = join(fixture.root, 'in-process');
    const baseline = await runJudgekit(judgeArgs(fixture, baselineOut, 8), queueEnv(fixture, join(fixture.root, 'in-process-cache')));
    expect(baseline.stderr).not.toMatch(/unexpected error/);
    expect(baseline.code).toBe(0);
    const baselineScores = scoresByKey(await readJudgments(baselineOut));
    expect(Object.keys(baselineScores)).toHaveLength(ITEMS);

    const env = queueEnv(fixture, join(fixture.root, 'queue-cache'));
    const firstRequest = fixture.server.requests.length;
    const workers: CliProcess[] = [];
    try {
      for (let i = 0; i < 3; i++) workers.push(await startWorker(fixture, env));
      const outDir = join(fixture.root, 'queue-run');
      const coordinator = startJudgekit(judgeArgs(fixture, outDir, CONCURRENCY, ['--queue', fixture.redis.url, '--unit-size', String(UNIT_SIZE)]), env);
      const victim = workers[0] as CliProcess;
      // Mid-run: the victim has finished a unit and holds another, unfinished (its calls in flight).
      await waitFor(() => {
        const units = workerUnits(victim.stderr());
        return (units.done.size >= 1 && units.started.size > units.done.size) || coordinator.child.exitCode !== null;
      }, 60_000, 5);
      victim.kill('SIGKILL');
      const killed = await victim.done;
      expect(killed.signal).toBe('SIGKILL');
      const victimUnits = workerUnits(killed.stderr);
      const orphaned = [...victimUnits.started].filter((unit) => !victimUnits.done.has(unit));
      expect(orphaned.length).toBeGreaterThan(0);

      const result = await coordinator.done;
      expect(result.stderr).not.toMatch(/unexpected error/);
      expect(result.code).toBe(0);

      // The killed worker's units were made by the others.
      const survivorsDone = new Set(workers.slice(1).flatMap((worker) => [...workerUnits(worker.stderr()).done]));
      for (const unit of orphaned) expect(survivorsDone.has(unit), `unit ${unit} of the killed worker was not taken over`).toBe(true);

      // Nothing lost, same verdicts and results as in-process.
      const entries = await readJudgments(outDir);
      expect(entries.size).toBe(ITEMS);
      expect(scoresByKey(entries)).toEqual(baselineScores);
      // Same fingerprints of the inputs too: the in-process and the queued judge are the same judge to the run directory.
      const inputs = (records: typeof entries) => Object.fromEntries([...records].map(([key, record]) => [key, record.inputs]));
      expect(inputs(entries)).toEqual(inputs(await readJudgments(baselineOut)));
      expect(await readResults(outDir)).toEqual(await readResults(baselineOut));

      // Every item asked, none more than twice; the repeats are the killed worker's calls in flight at most.
      const asked = requestsByItem(fixture.server, firstRequest);
      expect([...asked.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: ITEMS }, (_, i) => i));
      expect(Math.max(...asked.values())).toBeLessThanOrEqual(2);
      const repeats = fixture.server.requests.length - firstRequest - ITEMS;
      expect(repeats).toBeLessThanOrEqual(CONCURRENCY);
    } finally {
      for (const worker of workers) worker.kill('SIGKILL');
      await Promise.all(workers.map((worker) => worker.done));
    }
  }, 180_000);
});

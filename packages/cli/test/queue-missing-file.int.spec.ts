// Workers read answer files by path: a file missing on the worker fails its units with a message that names the
// file and says why, the coordinator stops with that message, and a rerun once the file is back retries the units.
import { redisTestSkipReason } from '@judgekit/queue/testing';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJudgekit, startJudgekit, waitFor, type CliProcess } from './support/cli-process.js';
import { judgeArgs, queueEnv, readJudgments, startQueueFixture, startWorker, type QueueFixture } from './support/queue-fixture.js';

const ITEMS = 6;
const missing = redisTestSkipReason();

describe.skipIf(missing !== undefined)(`judgekit worker without an answer file${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let fixture: QueueFixture;

  beforeAll(async () => {
    fixture = await startQueueFixture(ITEMS, 10);
  });

  afterAll(async () => {
    await fixture?.close();
  });

  it('names the missing answer file and the shared-storage rule, and a rerun after the file is back retries the failed units and finishes', async () => {
    const env = queueEnv(fixture, join(fixture.root, 'cache'));
    const outDir = join(fixture.root, 'run');
    const args = judgeArgs(fixture, outDir, 2, ['--queue', fixture.redis.url, '--unit-size', '3']);
    const coordinator = startJudgekit(args, env);
    await waitFor(async () => {
      const status = await runJudgekit(['queue', 'status', '--queue', fixture.redis.url, '--json'], env);
      return (status.code === 0 && (JSON.parse(status.stdout) as { counts: { waiting: number } }).counts.waiting === 2) || coordinator.child.exitCode !== null;
    }, 60_000, 200);
    // The coordinator read it; the worker's machine lacks it.
    const file = fixture.answerFiles[1] as string;
    await rename(file, `${file}.away`);
    let worker: CliProcess | undefined;
    try {
      worker = await startWorker(fixture, env);
      const result = await coordinator.done;
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`answer file ${file} is missing on worker`);
      expect(result.stderr).toMatch(/every worker must see them at the same path \(shared storage\)/);
      expect(fixture.server.requests).toHaveLength(0);

      await rename(`${file}.away`, file);
      const rerun = await runJudgekit(args, env);
      expect(rerun.code).toBe(0);
      expect(rerun.stderr).toMatch(/failed before .*retrying it/);
      expect((await readJudgments(outDir)).size).toBe(ITEMS);
    } finally {
      worker?.kill('SIGKILL');
      await worker?.done;
    }
  }, 120_000);
});

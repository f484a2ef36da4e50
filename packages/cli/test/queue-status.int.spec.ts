// `judgekit queue status` against a real redis-server: the counts of a coordinator's units while no worker runs,
// then once a worker has made them all (the coordinator removes the units it has written to its run directory).
import { redisTestSkipReason } from '@judgekit/queue/testing';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJudgekit, startJudgekit, waitFor } from './support/cli-process.js';
import { judgeArgs, queueEnv, readJudgments, startQueueFixture, startWorker, type QueueFixture } from './support/queue-fixture.js';

const ITEMS = 12;
const UNIT_SIZE = 3;
const missing = redisTestSkipReason();

describe.skipIf(missing !== undefined)(`judgekit queue status${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let fixture: QueueFixture;

  beforeAll(async () => {
    fixture = await startQueueFixture(ITEMS, 20);
  });

  afterAll(async () => {
    await fixture?.close();
  });

  it('prints the units a coordinator enqueued as waiting while no worker runs, and none left once a worker made them', async () => {
    const env = queueEnv(fixture, join(fixture.root, 'cache'));
    const status = () => runJudgekit(['queue', 'status', '--queue', fixture.redis.url, '--json'], env);
    const empty = await status();
    expect(empty.code).toBe(0);
    expect(JSON.parse(empty.stdout)).toMatchObject({ queue: 'judgekit-judge', workers: 0, counts: { waiting: 0, active: 0, completed: 0, failed: 0 } });

    const outDir = join(fixture.root, 'run');
    const coordinator = startJudgekit(judgeArgs(fixture, outDir, 2, ['--queue', fixture.redis.url, '--unit-size', String(UNIT_SIZE)]), env);
    let waiting = 0;
    await waitFor(async () => {
      const result = await status();
      waiting = result.code === 0 ? (JSON.parse(result.stdout) as { counts: { waiting: number } }).counts.waiting : 0;
      return waiting === ITEMS / UNIT_SIZE || coordinator.child.exitCode !== null;
    }, 60_000, 200);
    expect(waiting).toBe(ITEMS / UNIT_SIZE);
    expect(fixture.server.requests).toHaveLength(0);

    const text = await runJudgekit(['queue', 'status', '--queue', fixture.redis.url], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^queue judgekit-judge: 0 workers$/m);
    expect(text.stdout).toMatch(/^ {2}waiting +4$/m);
    expect(text.stdout).toMatch(/^ {2}completed +0$/m);

    const worker = await startWorker(fixture, env);
    try {
      const result = await coordinator.done;
      expect(result.stderr).not.toMatch(/unexpected error/);
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(/4\/4 units through redis:\/\/127\.0\.0\.1:\d+/);
      expect(result.stderr).toMatch(/calls on the workers: 12 made, 0 from the cache; tokens: \d+ prompt/);
      expect((await readJudgments(outDir)).size).toBe(ITEMS);
      const after = JSON.parse((await status()).stdout) as { workers: number; counts: Record<string, number> };
      expect(after.workers).toBe(1);
      expect(after.counts).toMatchObject({ waiting: 0, active: 0, completed: 0, failed: 0 });
    } finally {
      worker.kill('SIGTERM');
      await worker.done;
    }
  }, 120_000);

  it('says which queue it cannot reach, and exits, when nothing listens at the URL (status, worker and coordinator alike)', async () => {
    // A port that was Redis's a moment ago and is closed now.
    const { startRedisServer } = await import('@judgekit/queue/testing');
    const gone = await startRedisServer();
    await gone.stop();
    const env = queueEnv(fixture, join(fixture.root, 'cache'));
    const runs = await Promise.all([
      runJudgekit(['queue', 'status', '--queue', gone.url], env),
      runJudgekit(['worker', '--queue', gone.url], env),
      runJudgekit(judgeArgs(fixture, join(fixture.root, 'unreachable'), 2, ['--queue', gone.url]), env),
    ]);
    for (const result of runs) {
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`Cannot reach the queue at ${gone.url} (connect ECONNREFUSED 127.0.0.1:${gone.port}). Is Redis running there?`);
    }
  }, 60_000);
});

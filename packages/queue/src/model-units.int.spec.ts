// ModelQueueCoordinator on a real redis-server: however many units it waits for, it keeps one listener on its abort
// signal (a study sends thousands of units on one signal; one listener each, never removed, piled up), removed when
// it closes; and aborting the signal rejects every waiting unit with a message naming it.
import { getEventListeners } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelQueueCoordinator, startModelWorker } from './model-units.js';
import { redisTestSkipReason, startRedisServer, type TestRedisServer } from './testing/index.js';

const missing = redisTestSkipReason();

describe.skipIf(missing !== undefined)(`ModelQueueCoordinator${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let redis: TestRedisServer;

  beforeAll(async () => {
    redis = await startRedisServer();
  }, 30_000);

  afterAll(async () => {
    await redis?.stop();
  });

  it('keeps one abort listener on its signal however many units it has waited for, and close() removes it', async () => {
    const controller = new AbortController();
    const worker = await startModelWorker({ url: redis.url, handlers: { echo: async (data) => ({ echoed: (data as { n?: number }).n }) } });
    const coordinator = await ModelQueueCoordinator.open({ url: redis.url, signal: controller.signal, pollMs: 60_000 });
    try {
      const results = await Promise.all(Array.from({ length: 20 }, (_, n) => coordinator.run<{ kind: string; version: number; n: number }, { echoed: number }>({ id: `echo-unit-${n}`, data: { kind: 'echo', version: 1, n }, describe: `echo ${n}` })));
      expect(results.map((result) => result.echoed)).toEqual(Array.from({ length: 20 }, (_, n) => n));
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    } finally {
      await coordinator.close();
      await worker.close();
    }
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  }, 30_000);

  it('rejects every waiting unit with an error naming it when the signal aborts', async () => {
    const controller = new AbortController();
    const coordinator = await ModelQueueCoordinator.open({ url: redis.url, signal: controller.signal, pollMs: 60_000 });
    try {
      const units = Array.from({ length: 20 }, (_, i) => coordinator.run({ id: `test-unit-${i}`, data: { kind: 'nobody-makes-this', version: 1 }, describe: `unit number ${i}` }));
      for (const unit of units) unit.catch(() => undefined);
      // Every unit is enqueued and waiting (no worker serves this queue here).
      await expect.poll(async () => (await coordinator.queue.getJobCounts('waiting')).waiting, { timeout: 10_000 }).toBe(20);
      controller.abort();
      const outcomes = await Promise.allSettled(units);
      outcomes.forEach((outcome, i) => {
        expect(outcome.status).toBe('rejected');
        expect(String((outcome as PromiseRejectedResult).reason?.message)).toBe(`Interrupted while unit test-unit-${i} (unit number ${i}) was on the queue; run the same command again to reattach to it.`);
      });
    } finally {
      await coordinator.close();
    }
  }, 30_000);
});

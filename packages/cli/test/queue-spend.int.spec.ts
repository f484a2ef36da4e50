// What a `judgekit judge --queue` run spent, as the workers report it per unit: the coordinator writes one
// spend.jsonl line per unit, and run.json's session and spent totals (requests, retries, tokens, cost) equal what the
// local judge server was asked and billed. A second run on the same cache reports units answered from it at 0 requests.
import { costUsd } from '@judgekit/core';
import { redisTestSkipReason } from '@judgekit/queue/testing';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJudgekit, type CliProcess } from './support/cli-process.js';
import { fixtureBatchedReply, itemOfPrompt } from './support/judge-fixture.js';
import { judgeArgs, queueEnv, readJudgments, startQueueFixture, startWorker, workerUnits, type QueueFixture } from './support/queue-fixture.js';

const ITEMS = 12;
const UNIT_SIZE = 4;
/** Every successful reply's billed tokens, so the expected totals are plain arithmetic. */
const USAGE = { prompt: 100, completion: 7 };
const PRICE = { input: 3, output: 15 };
const missing = redisTestSkipReason();

interface RunJson {
  calls: { session: { calls: number; requests: number; cachedCalls: number; failedCalls: number; retries: number; tokenUsage: unknown } | null; spent: { requests: number; failed: number } };
  tokens: { session: unknown; spent: unknown };
  cost: { session: number | null; spent: number | null };
}

async function readRunJson(outDir: string): Promise<RunJson> {
  return JSON.parse(await readFile(join(outDir, 'run.json'), 'utf8')) as RunJson;
}

async function readSpendLines(outDir: string): Promise<Array<{ session: string; key?: string; requests: number; failed: number; tokenUsage: { prompt: number; completion: number } }>> {
  return (await readFile(join(outDir, 'spend.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

describe.skipIf(missing !== undefined)(`judgekit judge --queue spend${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let fixture: QueueFixture;

  beforeAll(async () => {
    fixture = await startQueueFixture(ITEMS, 20);
    // The first ask about item 5 fails with a 500 (retried by the worker); every reply bills USAGE.
    let failedOnce = false;
    fixture.server.setScript((request) => {
      if (itemOfPrompt(request.prompt) === 5 && !failedOnce) {
        failedOnce = true;
        return { status: 500, errorMessage: 'scripted server error' };
      }
      return { text: fixtureBatchedReply(request.prompt), delayMs: 20, usage: USAGE };
    });
  });

  afterAll(async () => {
    await fixture?.close();
  });

  it("records each unit's requests, retries and tokens once in spend.jsonl, and run.json's session and spent totals equal the server's count; a rerun on the same cache records units at 0 requests", async () => {
    const env = queueEnv(fixture, join(fixture.root, 'cache'));
    const prices = join(fixture.root, 'prices.json');
    await writeFile(prices, JSON.stringify({ 'openai:queue-judge': PRICE }));
    const queueArgs = ['--queue', fixture.redis.url, '--unit-size', String(UNIT_SIZE), '--prices', prices];
    let worker: CliProcess | undefined;
    try {
      worker = await startWorker(fixture, env);
      const outDir = join(fixture.root, 'run');
      const run = await runJudgekit(judgeArgs(fixture, outDir, 2, queueArgs), env);
      expect(run.stderr).not.toMatch(/unexpected error/);
      expect(run.code).toBe(0);
      expect((await readJudgments(outDir)).size).toBe(ITEMS);

      // The server saw one request per item and the retry of item 5; it billed USAGE for each answered one.
      const asked = fixture.server.requests.length;
      expect(asked).toBe(ITEMS + 1);
      const billed = { prompt: ITEMS * USAGE.prompt, completion: ITEMS * USAGE.completion };
      const record = await readRunJson(outDir);
      expect(record.calls.session).toMatchObject({ calls: ITEMS, requests: asked, cachedCalls: 0, failedCalls: 0, retries: 1, tokenUsage: billed });
      expect(record.tokens.session).toEqual(billed);
      expect(record.calls.spent).toEqual({ requests: asked, failed: 1 });
      expect(record.tokens.spent).toEqual(billed);
      expect(record.cost.session).toBeCloseTo(costUsd(billed, PRICE), 12);
      expect(record.cost.spent).toBeCloseTo(costUsd(billed, PRICE), 12);

      // One line per unit, keyed by the unit's job id (the ids the worker logged).
      const lines = await readSpendLines(outDir);
      const units = workerUnits(worker.stderr()).done;
      expect(units.size).toBe(ITEMS / UNIT_SIZE);
      expect(lines.map((line) => line.key).sort()).toEqual([...units].map((unit) => `unit ${unit}`).sort());
      expect(lines.reduce((sum, line) => sum + line.requests, 0)).toBe(asked);

      // The same judging into another run directory: the workers answer every call from the shared cache.
      const againDir = join(fixture.root, 'again');
      const again = await runJudgekit(judgeArgs(fixture, againDir, 2, queueArgs), env);
      expect(again.code).toBe(0);
      expect(fixture.server.requests).toHaveLength(asked);
      const repeated = await readRunJson(againDir);
      expect(repeated.calls.session).toMatchObject({ calls: 0, requests: 0, cachedCalls: ITEMS });
      expect(repeated.calls.spent).toEqual({ requests: 0, failed: 0 });
      expect(repeated.cost.spent).toBe(0);
      expect((await readSpendLines(againDir)).every((line) => line.requests === 0)).toBe(true);
    } finally {
      worker?.kill('SIGKILL');
      await worker?.done;
    }
  }, 120_000);
});

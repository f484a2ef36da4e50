// The parts of the queue tests: a throwaway redis-server, the scriptable local judge server answering the fixture's
// batched prompts after a delay, answer files, and `judgekit judge` / `judgekit worker` child processes.
import { decodeLog, type JudgmentRecord } from '@judgekit/core';
import { startFakeLlmServer, type FakeLlmServer } from '@judgekit/judges/testing';
import { startRedisServer, type TestRedisServer } from '@judgekit/queue/testing';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startJudgekit, waitFor, type CliProcess } from './cli-process.js';
import { fixtureBatchedReply, itemOfPrompt, writeFixtureAnswers } from './judge-fixture.js';

export const QUEUE_KEY = 'sk-queue-test-not-a-real-key';

export interface QueueFixture {
  redis: TestRedisServer;
  server: FakeLlmServer;
  root: string;
  answerFiles: string[];
  close(): Promise<void>;
}

export async function startQueueFixture(items: number, delayMs: number): Promise<QueueFixture> {
  const redis = await startRedisServer();
  const server = await startFakeLlmServer(async (request) => ({ text: fixtureBatchedReply(request.prompt), delayMs }));
  const root = await mkdtemp(join(tmpdir(), 'judgekit-queue-'));
  const answerFiles = await writeFixtureAnswers(root, items);
  return {
    redis,
    server,
    root,
    answerFiles,
    async close() {
      await server.close();
      await redis.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Every process of a test gets the same environment: the key, the local server, the cache, short stalled timings. */
export function queueEnv(fixture: QueueFixture, cacheDir: string): Record<string, string> {
  return {
    OPENAI_API_KEY: QUEUE_KEY,
    OPENAI_BASE_URL: fixture.server.openaiBaseURL,
    JUDGEKIT_CACHE_DIR: cacheDir,
    JUDGEKIT_QUEUE_LOCK_MS: '3000',
    JUDGEKIT_QUEUE_STALLED_MS: '1000',
  };
}

export function judgeArgs(fixture: QueueFixture, outDir: string, concurrency: number, extra: string[] = []): string[] {
  return ['judge', '--mode', 'batched', '--judge', 'openai:queue-judge', '--out', outDir, '--concurrency', String(concurrency), '--timeout-ms', '20000', ...extra, ...fixture.answerFiles];
}

/** Start `judgekit worker` and wait until it says it is ready. */
export async function startWorker(fixture: QueueFixture, env: Record<string, string>, extra: string[] = []): Promise<CliProcess> {
  const worker = startJudgekit(['worker', '--queue', fixture.redis.url, ...extra], env);
  await waitFor(() => /judgekit worker: ready/.test(worker.stderr()) || worker.child.exitCode !== null, 60_000, 20);
  if (worker.child.exitCode !== null) throw new Error(`worker exited early: ${worker.stderr()}`);
  return worker;
}

/** Unit ids a worker's log says it started and finished. */
export function workerUnits(log: string): { started: Set<string>; done: Set<string> } {
  return {
    started: new Set([...log.matchAll(/unit (\S+) started/g)].map((match) => match[1] as string)),
    done: new Set([...log.matchAll(/unit (\S+) done/g)].map((match) => match[1] as string)),
  };
}

export async function readJudgments(outDir: string): Promise<Map<string, JudgmentRecord>> {
  const text = await readFile(join(outDir, 'judgments.jsonl'), 'utf8').catch(() => '');
  return decodeLog<JudgmentRecord>(text).entries;
}

export function scoresByKey(entries: Map<string, JudgmentRecord>): Record<string, Array<number | null>> {
  return Object.fromEntries([...entries].sort(([a], [b]) => a.localeCompare(b)).map(([key, record]) => [key, record.scores.map((score) => score.score)]));
}

/** How often the server was asked about each item, from request number `from` on. */
export function requestsByItem(server: FakeLlmServer, from = 0): Map<number, number> {
  const counts = new Map<number, number>();
  for (const request of server.requests.slice(from)) {
    const item = itemOfPrompt(request.prompt);
    counts.set(item, (counts.get(item) ?? 0) + 1);
  }
  return counts;
}

export async function readResults(outDir: string): Promise<unknown> {
  return JSON.parse(await readFile(join(outDir, 'results.json'), 'utf8'));
}

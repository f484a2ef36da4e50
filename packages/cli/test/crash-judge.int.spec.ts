// Crash safety of `judgekit judge`: the CLI runs as a child process with 8 calls in flight against a slow local
// judge server and is SIGKILLed at random points several times; reruns finish the job, never pay twice for a call
// that finished before a kill, pay again for at most `--concurrency` calls per kill, and give the same results as
// an uninterrupted run. Then a damaged log line and a damaged
// cache entry are detected and redone, never trusted.
import { decodeLog, type JudgmentRecord } from '@judgekit/core';
import { startFakeLlmServer, type FakeLlmServer } from '@judgekit/judges/testing';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJudgekit, startJudgekit, waitFor } from './support/cli-process.js';
import { cachedItems, fixtureBatchedReply, itemOfPrompt, writeFixtureAnswers } from './support/judge-fixture.js';

const ITEMS = 80;
const KILLS = 3;
const CONCURRENCY = 8;
const KEY = 'sk-crash-test-not-a-real-key';

let server: FakeLlmServer;
let root: string;
let answerFiles: string[];

/** mulberry32: the kill points are random but the same on every run of the suite. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function judgeArgs(outDir: string): string[] {
  return ['judge', '--mode', 'batched', '--judge', 'openai:crash-judge', '--out', outDir, '--concurrency', String(CONCURRENCY), '--timeout-ms', '20000', ...answerFiles];
}

function env(cacheDir: string): Record<string, string> {
  return { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.openaiBaseURL, JUDGEKIT_CACHE_DIR: cacheDir };
}

async function readJudgments(outDir: string): Promise<{ entries: Map<string, JudgmentRecord>; problems: Array<{ line: number; reason: string }> }> {
  const text = await readFile(join(outDir, 'judgments.jsonl'), 'utf8').catch(() => '');
  return decodeLog<JudgmentRecord>(text);
}

function scoresByKey(entries: Map<string, JudgmentRecord>): Record<string, Array<number | null>> {
  return Object.fromEntries([...entries].map(([key, record]) => [key, record.scores.map((score) => score.score)]));
}

/** Requests per item made at or after request number `from`. */
function requestsByItem(from = 0): Map<number, number> {
  const counts = new Map<number, number>();
  for (const request of server.requests.slice(from)) {
    const item = itemOfPrompt(request.prompt);
    counts.set(item, (counts.get(item) ?? 0) + 1);
  }
  return counts;
}

beforeAll(async () => {
  // Per-call latency so a kill lands with calls in flight, replies still unlogged, and cache writes pending.
  server = await startFakeLlmServer(async (request) => ({ text: fixtureBatchedReply(request.prompt), delayMs: 40 + ((itemOfPrompt(request.prompt) * 17) % 60) }));
  root = await mkdtemp(join(tmpdir(), 'judgekit-crash-judge-'));
  answerFiles = await writeFixtureAnswers(root, ITEMS);
});

afterAll(async () => {
  await server?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('judgekit judge survives kill -9', () => {
  let baseline: Record<string, Array<number | null>>;
  let baselineResults: unknown;
  const crashOut = () => join(root, 'crash-run');
  const crashCache = () => join(root, 'crash-cache');

  it('an uninterrupted run (the baseline) makes one call per item', async () => {
    const before = server.requests.length;
    const result = await runJudgekit(judgeArgs(join(root, 'baseline-run')), env(join(root, 'baseline-cache')));
    expect(result.stderr).not.toMatch(/unexpected error/);
    expect(result.code).toBe(0);
    expect(server.requests.length - before).toBe(ITEMS);
    const { entries, problems } = await readJudgments(join(root, 'baseline-run'));
    expect(problems).toEqual([]);
    expect(entries.size).toBe(ITEMS);
    baseline = scoresByKey(entries);
    baselineResults = JSON.parse(await readFile(join(root, 'baseline-run', 'results.json'), 'utf8'));
  }, 120_000);

  it(`killed ${KILLS} times at random points, reruns finish with nothing finished recomputed or re-billed`, async () => {
    const random = seeded(20261128);
    const firstRequest = server.requests.length;
    const kills: Array<{ fromRequest: number; afterRequest: number; logged: Set<number>; cached: Set<number> }> = [];
    for (let round = 0; round < KILLS; round++) {
      const start = server.requests.length;
      // Kill once this round has sent its first 8 requests and 1-8 more (so some calls are done and 8 are in
      // flight), then a random 0-80 ms later: mid-call, mid-append or mid-cache-write. (At most ~24 items finish
      // per round, so every round still has work when it is killed.)
      const after = CONCURRENCY + 1 + Math.floor(random() * CONCURRENCY);
      const child = startJudgekit(judgeArgs(crashOut()), env(crashCache()));
      await waitFor(() => server.requests.length - start >= after || child.child.exitCode !== null, 60_000);
      await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 80)));
      child.kill('SIGKILL');
      const result = await child.done;
      expect(result.signal ?? `exit ${result.code}`).toBe('SIGKILL');
      // The local server runs in this process: let it take in requests that reached it just before the kill.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const { entries } = await readJudgments(crashOut());
      kills.push({
        fromRequest: start,
        afterRequest: server.requests.length,
        logged: new Set([...entries.values()].map((record) => record.index)),
        cached: new Set((await cachedItems(crashCache())).keys()),
      });
    }
    // Each round made progress that a rerun can keep.
    expect(kills.at(-1)!.logged.size + kills.at(-1)!.cached.size).toBeGreaterThan(0);

    const final = await runJudgekit(judgeArgs(crashOut()), env(crashCache()));
    expect(final.stderr).not.toMatch(/unexpected error/);
    expect(final.code).toBe(0);

    // No call that finished (logged, or its reply cached) before a kill was made again afterwards.
    for (const kill of kills) {
      const repeated = [...requestsByItem(kill.afterRequest).keys()].filter((item) => kill.logged.has(item) || kill.cached.has(item));
      expect(repeated, `items finished before the kill at request ${kill.afterRequest} were asked again`).toEqual([]);
    }
    // Every item was asked at least once. Extra asks only for calls in flight at a kill (asked, reply not yet on
    // disk): at most `--concurrency` of them per kill, as a call holds its slot until its reply is cached.
    const asked = requestsByItem(firstRequest);
    expect([...asked.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: ITEMS }, (_, i) => i));
    let lostCalls = 0;
    for (const kill of kills) {
      const askedThisRound = new Set(server.requests.slice(kill.fromRequest, kill.afterRequest).map((request) => itemOfPrompt(request.prompt)));
      const lost = [...askedThisRound].filter((item) => !kill.logged.has(item) && !kill.cached.has(item));
      expect(lost.length, `calls lost to the kill at request ${kill.afterRequest}: items ${lost.join(', ')}`).toBeLessThanOrEqual(CONCURRENCY);
      lostCalls += lost.length;
    }
    // The server saw each item once, plus once more for each call a kill lost: nothing else was repeated.
    expect(server.requests.length - firstRequest).toBe(ITEMS + lostCalls);
    expect(lostCalls).toBeLessThanOrEqual(CONCURRENCY * KILLS);

    const { entries } = await readJudgments(crashOut());
    expect(entries.size).toBe(ITEMS);
    expect(scoresByKey(entries)).toEqual(baseline);
    expect(JSON.parse(await readFile(join(crashOut(), 'results.json'), 'utf8'))).toEqual(baselineResults);
    // A rerun of a finished run makes no calls at all.
    const before = server.requests.length;
    expect((await runJudgekit(judgeArgs(crashOut()), env(crashCache()))).code).toBe(0);
    expect(server.requests.length).toBe(before);
  }, 240_000);

  it('a damaged log line is reported and redone from the cache; a damaged cache entry is not trusted and re-asked', async () => {
    const logPath = join(crashOut(), 'judgments.jsonl');
    const lines = (await readFile(logPath, 'utf8')).split('\n');
    const itemOfLine = (line: number): number => (JSON.parse(lines[line] as string) as { value: JudgmentRecord }).value.index;
    // Only items whose reply is in the cache: a kill can land after a log append but before the cache write.
    const cache = await cachedItems(crashCache());
    const candidates = lines.map((line, n) => n).filter((n) => lines[n]!.trim() !== '' && cache.has(itemOfLine(n)));
    expect(candidates.length).toBeGreaterThanOrEqual(2);
    const [damagedA, damagedB] = [candidates[1] as number, candidates.at(-1) as number];
    const itemA = itemOfLine(damagedA);
    const itemB = itemOfLine(damagedB);
    // A: change a score digit (still valid JSON; only the checksum can tell). B: tear the line in half.
    lines[damagedA] = (lines[damagedA] as string).replace(/"score":(\d)/, (_, digit: string) => `"score":${(Number(digit) + 1) % 10}`);
    lines[damagedB] = (lines[damagedB] as string).slice(0, 40);
    await writeFile(logPath, lines.join('\n'));
    // B's cached reply is damaged too, so B must be asked again; A's is intact, so A comes from the cache.
    const cacheFileB = cache.get(itemB);
    expect(cacheFileB).toBeDefined();
    const cached = await readFile(cacheFileB!, 'utf8');
    await writeFile(cacheFileB!, cached.replace(/"score\\":(\d)/, (_, digit: string) => `"score\\":${(Number(digit) + 1) % 10}`));

    const before = server.requests.length;
    const result = await runJudgekit(judgeArgs(crashOut()), env(crashCache()));
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(new RegExp(`line ${damagedA + 1}: checksum mismatch`));
    expect(result.stderr).toMatch(new RegExp(`line ${damagedB + 1}: (not valid JSON|incomplete)`));
    expect(server.requests.slice(before).map((request) => itemOfPrompt(request.prompt))).toEqual([itemB]);
    expect(result.stderr).toMatch(/1 damaged cache entry was ignored and the calls made again/);
    const { entries } = await readJudgments(crashOut());
    expect(scoresByKey(entries)).toEqual(baseline);
    expect(JSON.parse(await readFile(join(crashOut(), 'results.json'), 'utf8'))).toEqual(baselineResults);
    expect(itemA).not.toBe(itemB);
  }, 120_000);
});

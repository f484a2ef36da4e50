// Reruns of `judgekit judge` into the same run directory reuse a judgment only when everything it depends on is
// unchanged: change one answer, the seed or the judge model and exactly the affected judgments are redone (and
// said why, and shown by --dry-run first). Identical calls within a run are paid for once, and the spend of a
// session killed with -9 still reaches run.json's totals.
import { startFakeLlmServer, singlePromptAnswer, type FakeLlmServer } from '@judgekit/judges/testing';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJudgekit, startJudgekit, waitFor } from './support/cli-process.js';
import { fixtureBatchedReply, fixtureScore, isBatchedPrompt, writeFixtureAnswers } from './support/judge-fixture.js';

const ITEMS = 6;
const KEY = 'sk-rerun-test-not-a-real-key';

let server: FakeLlmServer;
let root: string;
let slowFrom = Number.POSITIVE_INFINITY;

beforeAll(async () => {
  server = await startFakeLlmServer(async (request) => {
    const text = isBatchedPrompt(request.prompt) ? fixtureBatchedReply(request.prompt) : (/worth (\d+)/.exec(singlePromptAnswer(request.prompt) ?? '')?.[1] ?? '0');
    // The kill test slows the server down so the kill lands mid-run.
    return { text, delayMs: server.requests.length >= slowFrom ? 150 : 0 };
  });
  root = await mkdtemp(join(tmpdir(), 'judgekit-rerun-'));
});

afterAll(async () => {
  await server?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

function env(cacheDir: string): Record<string, string> {
  return { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.openaiBaseURL, JUDGEKIT_CACHE_DIR: cacheDir };
}

async function job(name: string): Promise<{ dir: string; files: string[]; out: string; cache: string }> {
  const dir = join(root, name);
  const files = await writeFixtureAnswers(await mkdtemp(`${dir}-`), ITEMS);
  return { dir, files, out: join(dir, 'run'), cache: join(dir, 'cache') };
}

async function judge(args: string[], files: string[], out: string, cache: string): Promise<{ code: number | null; stdout: string; stderr: string; requests: number }> {
  const before = server.requests.length;
  const result = await runJudgekit(['judge', '--judge', 'openai:rerun-judge', '--out', out, ...args, ...files], env(cache));
  return { ...result, requests: server.requests.length - before };
}

async function setAnswer(file: string, item: number, response: string): Promise<void> {
  const records = JSON.parse(await readFile(file, 'utf8')) as Array<{ model_response: string }>;
  records[item]!.model_response = response;
  await writeFile(file, JSON.stringify(records, null, 2));
}

const resultsOf = async (out: string) => JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as { models: Array<{ name: string; score: number }> };
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('judgekit judge reruns notice changed inputs', () => {
  it('after one answer changes, --dry-run shows it and the rerun re-judges exactly that item; results.json has the new score', async () => {
    const { files, out, cache } = await job('answer');
    const first = await judge(['--mode', 'batched'], files, out, cache);
    expect(first.code).toBe(0);
    expect(first.requests).toBe(ITEMS);
    const again = await judge(['--mode', 'batched'], files, out, cache);
    expect(again.requests).toBe(0);

    await setAnswer(files[1]!, 2, 'item-2 by beta worth 100');
    const dry = await judge(['--mode', 'batched', '--dry-run'], files, out, cache);
    expect(dry.requests).toBe(0);
    expect(dry.stdout).toMatch(/redo 1 judgment: the answer of beta changed \(batched\/0\/2\)/);
    expect(dry.stdout).toMatch(/5 already in the run directory/);

    const rerun = await judge(['--mode', 'batched'], files, out, cache);
    expect(rerun.code).toBe(0);
    expect(rerun.requests).toBe(1);
    expect(rerun.stderr).toMatch(/1 judgment is redone because the answer of beta changed/);
    const beta = Array.from({ length: ITEMS }, (_, i) => (i === 2 ? 100 : fixtureScore(1, i)));
    expect((await resultsOf(out)).models.find((model) => model.name === 'beta')?.score).toBeCloseTo(mean(beta), 9);
  });

  it('a new --seed or judge model re-judges every item and says which setting changed', async () => {
    const { files, out, cache } = await job('settings');
    expect((await judge(['--mode', 'batched', '--seed', '1'], files, out, cache)).requests).toBe(ITEMS);
    const seeded = await judge(['--mode', 'batched', '--seed', '2'], files, out, cache);
    expect(seeded.requests).toBe(ITEMS);
    expect(seeded.stderr).toMatch(new RegExp(`${ITEMS} judgments are redone because the judge's settings changed \\(.*seed 1 -> 2`));
    const before = server.requests.length;
    const remodelled = await runJudgekit(['judge', '--mode', 'batched', '--seed', '2', '--judge', 'openai:other-judge', '--out', out, ...files], env(cache));
    expect(remodelled.code).toBe(0);
    expect(server.requests.length - before).toBe(ITEMS);
    expect(server.requests.slice(before).every((request) => request.model === 'other-judge')).toBe(true);
    expect(remodelled.stderr).toMatch(/it was made by batched openai:rerun-judge, not batched openai:other-judge/);
  });

  it('identical calls of one run are made once: two models with the same answers cost one call per item', async () => {
    const { files, out, cache } = await job('duplicates');
    for (let i = 0; i < ITEMS; i++) await setAnswer(files[1]!, i, JSON.parse(await readFile(files[0]!, 'utf8'))[i].model_response);
    const dry = await judge(['--mode', 'single', '--dry-run'], files, out, cache);
    expect(dry.stdout).toMatch(new RegExp(`calls: ${3 * ITEMS} \\(0 answered by the cache, ${ITEMS} identical to another call of this run, ${2 * ITEMS} to make`));
    const run = await judge(['--mode', 'single', '--concurrency', '4'], files, out, cache);
    expect(run.code).toBe(0);
    expect(run.requests).toBe(2 * ITEMS);
    const results = await resultsOf(out);
    expect(results.models[1]!.score).toBe(results.models[0]!.score);
    expect(run.stdout).toMatch(new RegExp(`${ITEMS} shared with an identical call`));
  });

  it('the requests of a session killed with -9 are in run.json\'s spent totals after the rerun', async () => {
    const { files, out, cache } = await job('killed');
    const start = server.requests.length;
    slowFrom = start;
    try {
      const child = startJudgekit(['judge', '--mode', 'batched', '--judge', 'openai:rerun-judge', '--out', out, '--concurrency', '2', ...files], env(cache));
      await waitFor(() => server.requests.length - start >= 3, 60_000);
      // Let the third reply arrive and be recorded, then kill with calls in flight.
      await new Promise((resolve) => setTimeout(resolve, 200));
      child.kill('SIGKILL');
      await child.done;
    } finally {
      slowFrom = Number.POSITIVE_INFINITY;
    }
    const killedRequests = server.requests.length - start;
    const finish = await judge(['--mode', 'batched'], files, out, cache);
    expect(finish.code).toBe(0);
    const total = server.requests.length - start;
    const record = JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as { calls: { spent: { requests: number } }; sessions: Array<{ killed?: boolean; spend?: { requests: number } }> };
    const killed = record.sessions.filter((session) => session.killed);
    expect(killed).toHaveLength(1);
    // The killed session paid for every request whose reply it got; only those in flight at the kill (at most
    // the concurrency, 2) reached the server without being recorded.
    expect(killed[0]!.spend!.requests).toBeGreaterThanOrEqual(killedRequests - 2);
    expect(killed[0]!.spend!.requests).toBeLessThanOrEqual(killedRequests);
    expect(record.calls.spent.requests).toBe(killed[0]!.spend!.requests + finish.requests);
    expect(record.calls.spent.requests).toBeGreaterThanOrEqual(total - 2);
  });
});

// `judgekit judge --execution batch-api` end to end, for OpenAI (files + batches) and Anthropic (Message Batches):
// the CLI runs as a child process with the real SDKs against the local fake batch server. Results equal a live run;
// work splits into several batches under small limits; re-asks, failed and expired requests go to a follow-up batch
// or the live path; a kill -9 while polling, rerun, resumes the recorded batches without submitting them again;
// `judgekit batches` lists and cancels; --dry-run shows the batch price; every batch request is in spend.jsonl once,
// and run.json and results.json price them at the batch price.
import { costUsd, decodeLog, singlePromptAnswer, type JudgmentRecord } from '@judgekit/core';
import { startFakeBatchServer, type FakeBatchRequest, type FakeBatchServer } from '@judgekit/judges/testing';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJudgekit, startJudgekit, waitFor } from './support/cli-process.js';
import { fixtureBatchedReply, isBatchedPrompt, writeFixtureAnswers } from './support/judge-fixture.js';

const ITEMS = 6;
const KEY = 'sk-batch-cli-test-not-a-real-key';

interface Vendor {
  name: 'openai' | 'anthropic';
  judge: string;
  env: (server: FakeBatchServer, cacheDir: string) => Record<string, string>;
  /** The price per 1M tokens at the batch rate (half the list price). */
  batchPrice: { input: number; output: number };
  pollPath: RegExp;
}

const VENDORS: Vendor[] = [
  {
    name: 'openai',
    judge: 'openai:gpt-4o-mini',
    env: (server, cacheDir) => ({ OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.openaiBaseURL, JUDGEKIT_CACHE_DIR: cacheDir }),
    batchPrice: { input: 0.075, output: 0.3 },
    pollPath: /^GET \/v1\/batches\/batch_/,
  },
  {
    name: 'anthropic',
    judge: 'anthropic:claude-haiku-4-5',
    env: (server, cacheDir) => ({ ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: server.anthropicBaseURL, JUDGEKIT_CACHE_DIR: cacheDir }),
    batchPrice: { input: 0.5, output: 2.5 },
    pollPath: /^GET \/v1\/messages\/batches\/msgbatch_/,
  },
];

/** A fair judge: each answer's deserved score (single), or every slot's (batched). */
function fairReply(request: FakeBatchRequest): string {
  if (isBatchedPrompt(request.prompt)) return fixtureBatchedReply(request.prompt);
  return /worth (\d+)/.exec(singlePromptAnswer(request.prompt) ?? '')?.[1] ?? 'no answer found';
}

/** Who the single-judge prompt is about, e.g. `item-2 by alpha`. */
function subject(request: FakeBatchRequest): string {
  return /item-\d+ by \w+/.exec(singlePromptAnswer(request.prompt) ?? '')?.[0] ?? '';
}

/**
 * A fair judge whose first reply about `item-2 by alpha` is unusable (so the judge re-asks), and, when asked, whose
 * first try at `item-3 by alpha` fails and at `item-4 by beta` expires inside a batch.
 */
function scripted(options: { failures?: boolean } = {}): (request: FakeBatchRequest) => string | { fail?: { status: number; message: string }; expire?: boolean } {
  const seen = new Map<string, number>();
  return (request) => {
    const who = subject(request);
    const count = (seen.get(who) ?? 0) + 1;
    seen.set(who, count);
    if (who === 'item-2 by alpha' && count === 1) return 'I cannot say.';
    if (options.failures && request.batchId && count === 1 && who === 'item-3 by alpha') return { fail: { status: 500, message: 'scripted server error' } };
    if (options.failures && request.batchId && count === 1 && who === 'item-4 by beta') return { expire: true };
    return fairReply(request);
  };
}

async function judgments(outDir: string): Promise<Record<string, Array<number | null>>> {
  const { entries } = decodeLog<JudgmentRecord>(await readFile(join(outDir, 'judgments.jsonl'), 'utf8'));
  return Object.fromEntries([...entries].map(([key, record]) => [key, record.scores.map((score) => score.score)]));
}

async function results(outDir: string): Promise<unknown> {
  const parsed = JSON.parse(await readFile(join(outDir, 'results.json'), 'utf8')) as { models: unknown[] };
  return parsed.models;
}

interface BatchesJson {
  batches: Array<{ id: string; round: number; chunk: number; keys: string[]; status: string; downloaded: boolean; succeeded: number; failed: string[]; tokenUsage: { prompt: number; completion: number } }>;
}

async function batchesJson(outDir: string): Promise<BatchesJson> {
  return JSON.parse(await readFile(join(outDir, 'batches.json'), 'utf8')) as BatchesJson;
}

/**
 * The run's spend as spend.jsonl, run.json and results.json record it, checked against batches.json: one line per
 * batch request (keyed by batch and custom id), all at half price, and run.json's spent cost at the batch price.
 */
async function expectBatchSpend(outDir: string, batchPrice: { input: number; output: number }, requests: number): Promise<void> {
  const state = await batchesJson(outDir);
  const lines = (await readFile(join(outDir, 'spend.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { key: string; requests: number; priceFactor: number; tokenUsage: { prompt: number; completion: number } });
  expect(lines).toHaveLength(requests);
  expect(new Set(lines.map((line) => line.key))).toEqual(new Set(state.batches.flatMap((batch) => batch.keys.map((key) => `batch ${batch.id} ${key}`))));
  expect(lines.every((line) => line.requests === 1 && line.priceFactor === 0.5)).toBe(true);
  const tokens = { prompt: 0, completion: 0 };
  for (const batch of state.batches) {
    tokens.prompt += batch.tokenUsage.prompt;
    tokens.completion += batch.tokenUsage.completion;
  }
  expect(tokens.prompt).toBeGreaterThan(0);
  const runJson = JSON.parse(await readFile(join(outDir, 'run.json'), 'utf8')) as { calls: { spent: { requests: number } }; tokens: { spent: unknown }; cost: { spent: number; batch: { priceFactor: number; price: unknown; requests: number; costUsd: number } } };
  expect(runJson.calls.spent.requests).toBe(requests);
  expect(runJson.tokens.spent).toEqual(tokens);
  expect(runJson.cost.spent).toBeCloseTo(costUsd(tokens, batchPrice), 12);
  expect(runJson.cost.batch).toMatchObject({ priceFactor: 0.5, price: batchPrice, requests });
  const resultsJson = JSON.parse(await readFile(join(outDir, 'results.json'), 'utf8')) as { judges: Array<{ batch?: { price: unknown; requests: number; costUsd: number } }> };
  expect(resultsJson.judges[0]?.batch).toMatchObject({ price: batchPrice, requests });
  expect(resultsJson.judges[0]?.batch?.costUsd).toBeCloseTo(costUsd(tokens, batchPrice), 12);
}

describe.each(VENDORS)('judgekit judge --execution batch-api ($name)', (vendor) => {
  let server: FakeBatchServer;
  let root: string;
  let answerFiles: string[];
  let liveJudgments: Record<string, Array<number | null>>;
  let liveResults: unknown;

  const judgeArgs = (outDir: string, ...extra: string[]): string[] => ['judge', '--mode', 'single', '--judge', vendor.judge, '--out', outDir, ...extra, ...answerFiles];
  const batchArgs = (outDir: string, ...extra: string[]): string[] => judgeArgs(outDir, '--execution', 'batch-api', '--batch-poll-ms', '20', ...extra);
  const env = (cache: string): Record<string, string> => vendor.env(server, join(root, cache));

  beforeAll(async () => {
    server = await startFakeBatchServer({ holdPolls: 1 });
    root = await mkdtemp(join(tmpdir(), `judgekit-batch-api-${vendor.name}-`));
    answerFiles = await writeFixtureAnswers(root, ITEMS);
    // The baseline: the same judge, live.
    server.setScript(scripted());
    const live = await runJudgekit(judgeArgs(join(root, 'live')), env('cache-live'));
    expect(live.code, live.stderr).toBe(0);
    expect(server.liveRequests).toHaveLength(ITEMS * 3 + 1);
    liveJudgments = await judgments(join(root, 'live'));
    liveResults = await results(join(root, 'live'));
    server.liveRequests.length = 0;
  });

  afterAll(async () => {
    await server?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('gives the same judgments and results as a live run with no live call, splits the calls into batches of at most --batch-max-requests, sends the re-ask in a second round, records the batch price, spends each batch request once at half price in spend.jsonl, run.json and results.json, and a rerun submits nothing', async () => {
    server.setScript(scripted());
    const out = join(root, 'batch');
    const created = server.batches.length;
    const run = await runJudgekit(batchArgs(out, '--batch-max-requests', '5'), env('cache-batch'));
    expect(run.code, run.stderr).toBe(0);
    expect(server.liveRequests).toHaveLength(0);
    expect(await judgments(out)).toEqual(liveJudgments);
    expect(await results(out)).toEqual(liveResults);
    // 18 first asks in batches of 5, 5, 5, 3; then the one re-ask (attempt 2 of item-2 by alpha) in round 1.
    const state = await batchesJson(out);
    expect(state.batches.map((batch) => [batch.round, batch.keys.length])).toEqual([[0, 5], [0, 5], [0, 5], [0, 3], [1, 1]]);
    expect(server.batches.slice(created).map((batch) => batch.requests.length)).toEqual([5, 5, 5, 3, 1]);
    expect(server.batches.at(-1)!.requests.map(subject)).toEqual(['item-2 by alpha']);
    expect(state.batches.every((batch) => batch.downloaded && batch.failed.length === 0)).toBe(true);
    const runJson = JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as { options: { execution: string; batch: { requests: number; succeeded: number; price: unknown; priceFactor: number; costUsd: number } }; calls: { session: { calls: number; cachedCalls: number } } };
    expect(runJson.options.execution).toBe('batch-api');
    expect(runJson.options.batch).toMatchObject({ requests: 19, succeeded: 19, priceFactor: 0.5, price: vendor.batchPrice });
    expect(runJson.options.batch.costUsd).toBeGreaterThan(0);
    expect(runJson.calls.session.calls).toBe(0);
    expect(runJson.calls.session.cachedCalls).toBe(19);
    await expectBatchSpend(out, vendor.batchPrice, 19);

    // A rerun into the same directory, and a new directory on the same cache, submit nothing and call nothing.
    const again = await runJudgekit(batchArgs(out), env('cache-batch'));
    expect(again.code, again.stderr).toBe(0);
    await expectBatchSpend(out, vendor.batchPrice, 19);
    const fresh = await runJudgekit(batchArgs(join(root, 'batch-fresh')), env('cache-batch'));
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stdout).toMatch(/calls: 0 made/);
    expect(server.batches.length).toBe(created + 5);
    expect(server.liveRequests).toHaveLength(0);
    expect(await judgments(join(root, 'batch-fresh'))).toEqual(liveJudgments);
  });

  it('judges in batched mode through batches with the same judgments as a live batched run', async () => {
    server.setScript(scripted());
    const live = await runJudgekit(['judge', '--mode', 'batched', '--judge', vendor.judge, '--out', join(root, 'live-batched'), ...answerFiles], env('cache-live-batched'));
    expect(live.code, live.stderr).toBe(0);
    server.liveRequests.length = 0;
    const created = server.batches.length;
    const out = join(root, 'batch-batched');
    const run = await runJudgekit(['judge', '--mode', 'batched', '--judge', vendor.judge, '--out', out, '--execution', 'batch-api', '--batch-poll-ms', '20', ...answerFiles], env('cache-batch-batched'));
    expect(run.code, run.stderr).toBe(0);
    expect(server.liveRequests).toHaveLength(0);
    expect(server.batches.slice(created).map((batch) => batch.requests.length)).toEqual([ITEMS]);
    expect(await judgments(out)).toEqual(await judgments(join(root, 'live-batched')));
  });

  it('sends a request that failed and one that expired inside a batch to a follow-up batch (--batch-failed batch), with results equal to the live run', async () => {
    server.setScript(scripted({ failures: true }));
    const out = join(root, 'follow-up');
    const created = server.batches.length;
    const run = await runJudgekit(batchArgs(out), env('cache-follow-up'));
    expect(run.code, run.stderr).toBe(0);
    expect(server.liveRequests).toHaveLength(0);
    const rounds = server.batches.slice(created).map((batch) => batch.requests.map(subject).sort());
    expect(rounds[0]).toHaveLength(ITEMS * 3);
    expect(rounds[1]).toEqual(['item-2 by alpha', 'item-3 by alpha', 'item-4 by beta']);
    expect(rounds).toHaveLength(2);
    const state = await batchesJson(out);
    expect(state.batches[0]!.failed).toHaveLength(2);
    expect(await judgments(out)).toEqual(liveJudgments);
    expect(await results(out)).toEqual(liveResults);
  });

  it('makes a request that failed and one that expired inside a batch as live calls (--batch-failed live), with results equal to the live run', async () => {
    server.setScript(scripted({ failures: true }));
    const out = join(root, 'to-live');
    const created = server.batches.length;
    const run = await runJudgekit(batchArgs(out, '--batch-failed', 'live'), env('cache-to-live'));
    expect(run.code, run.stderr).toBe(0);
    expect(server.liveRequests.map(subject).sort()).toEqual(['item-3 by alpha', 'item-4 by beta']);
    server.liveRequests.length = 0;
    // The re-ask of item-2 by alpha still goes as a batch; the failed ones never do again.
    expect(server.batches.slice(created).map((batch) => batch.requests.map(subject).sort())).toEqual([expect.any(Array), ['item-2 by alpha']]);
    expect(await judgments(out)).toEqual(liveJudgments);
    expect(await results(out)).toEqual(liveResults);
  });

  it('resumes the recorded batches after a kill -9 while polling: one batch creation per chunk in all, results equal to the live run, and each batch request spent once at half price', async () => {
    server.setScript(scripted());
    server.setHoldPolls(Infinity);
    const out = join(root, 'killed');
    const created = server.batches.length;
    const polls = (): number => server.log.filter((line) => vendor.pollPath.test(line)).length;
    const pollsBefore = polls();
    const child = startJudgekit(batchArgs(out, '--batch-max-requests', '5'), env('cache-killed'));
    try {
      // Four batches created and recorded, then polled at least twice each: the process is waiting on them.
      await waitFor(() => server.batches.length === created + 4 && polls() >= pollsBefore + 8, 60_000);
      const recorded = await batchesJson(out);
      expect(recorded.batches.map((batch) => batch.id)).toEqual(server.batches.slice(created).map((batch) => batch.id));
    } finally {
      child.kill('SIGKILL');
    }
    expect((await child.done).signal).toBe('SIGKILL');
    server.setHoldPolls(1);
    const rerun = await runJudgekit(batchArgs(out, '--batch-max-requests', '5'), env('cache-killed'));
    expect(rerun.code, rerun.stderr).toBe(0);
    // The four first-round chunks were created once; only the re-ask's round came after the kill.
    expect(server.batches.slice(created).map((batch) => batch.requests.length)).toEqual([5, 5, 5, 3, 1]);
    expect(rerun.stderr).toMatch(/resuming 4 provider batches/);
    expect(server.liveRequests).toHaveLength(0);
    // Spent once per batch request at half price, not twice for the batches the killed process was polling.
    await expectBatchSpend(out, vendor.batchPrice, 19);
    expect(await judgments(out)).toEqual(liveJudgments);
    expect(await results(out)).toEqual(liveResults);

    const listed = await runJudgekit(['batches', out], env('cache-killed'));
    expect(listed.code, listed.stderr).toBe(0);
    const rows = listed.stdout.trim().split('\n').slice(1);
    expect(rows).toHaveLength(5);
    expect(rows.every((row) => row.endsWith('\tyes'))).toBe(true);
    expect(rows[0]).toContain(server.batches[created]!.id);
  });

  it('`judgekit batches --cancel` cancels the unfinished batches of a run that was killed while polling', async () => {
    server.setScript(scripted());
    server.setHoldPolls(Infinity);
    const out = join(root, 'cancelled');
    const created = server.batches.length;
    const child = startJudgekit(batchArgs(out, '--batch-max-requests', '10'), env('cache-cancelled'));
    try {
      await waitFor(() => server.batches.length === created + 2 && server.batches.slice(created).every((batch) => batch.polls >= 2), 60_000);
    } finally {
      child.kill('SIGKILL');
    }
    await child.done;
    const listed = await runJudgekit(['batches', out], env('cache-cancelled'));
    expect(listed.stdout).toMatch(/\tin_progress\t/);
    const cancel = await runJudgekit(['batches', out, '--cancel'], env('cache-cancelled'));
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.stdout).toMatch(/2 batches cancelled/);
    for (const batch of server.batches.slice(created)) expect(batch.status).toBe(vendor.name === 'openai' ? 'cancelling' : 'canceling');
    const after = await runJudgekit(['batches', out], env('cache-cancelled'));
    expect(after.stdout).toMatch(vendor.name === 'openai' ? /\tcancelled\t/ : /\tended\t/);
    server.setHoldPolls(1);
  });

  it('--dry-run with --execution batch-api shows the batch price, half the live estimate, and submits nothing', async () => {
    const created = server.batches.length;
    const dry = await runJudgekit(batchArgs(join(root, 'dry'), '--dry-run'), env('cache-dry'));
    expect(dry.code, dry.stderr).toBe(0);
    const live = Number(/estimated cost: \$([\d.]+)/.exec(dry.stdout)?.[1]);
    const batch = /batch API cost: \$([\d.]+) at \$([\d.]+)\/\$([\d.]+) per 1M/.exec(dry.stdout);
    expect(batch, dry.stdout).not.toBeNull();
    // Both are printed to 4 decimals: the batch estimate is half the live one within that rounding.
    expect(live).toBeGreaterThan(0);
    expect(Math.abs(Number(batch![1]) - live / 2)).toBeLessThanOrEqual(0.0001);
    expect([Number(batch![2]), Number(batch![3])]).toEqual([vendor.batchPrice.input, vendor.batchPrice.output]);
    expect(server.batches.length).toBe(created);
  });
});

// `judgekit judge --mode pairwise` against the fake OpenAI-compatible server: every pair of models in both orders
// per item, judgments.jsonl with the comparisons, results.json/.md with Bradley-Terry scores, a rerun that makes no
// call, the seeded `pairsPerItem` design, and the provider batch path giving the same verdicts as the live one.
import { decodeLog, pairwisePromptAnswers, type JudgmentRecord, type PairwiseResults, type RunResults } from '@judgekit/core';
import { startFakeBatchServer, startFakeLlmServer, type FakeBatchServer, type FakeLlmServer } from '@judgekit/judges/testing';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_MODELS, fixtureScore, writeFixtureAnswers } from './support/judge-fixture.js';
import { runMain } from './support/run-main.js';

const ITEMS = 5;
const KEY = 'sk-pairwise-test-not-a-real-key';
const worth = (answer: string): number => Number(/worth (\d+)/.exec(answer)?.[1] ?? -1);

/** A fair pairwise judge: the answer worth more wins, equal worth is a tie. */
function fairVerdict(prompt: string): string {
  const [first, second] = pairwisePromptAnswers(prompt).map(worth) as [number, number];
  const winner = first > second ? 'A' : second > first ? 'B' : 'tie';
  return JSON.stringify({ winner, comments: `worth ${first} vs ${second}` });
}

let server: FakeLlmServer;
let batchServer: FakeBatchServer;
let root: string;
let answerFiles: string[];

beforeAll(async () => {
  server = await startFakeLlmServer((request) => fairVerdict(request.prompt));
  batchServer = await startFakeBatchServer({ holdPolls: 1, script: (request) => fairVerdict(request.prompt) });
  root = await mkdtemp(join(tmpdir(), 'judgekit-pairwise-'));
  answerFiles = await writeFixtureAnswers(root, ITEMS);
});
afterAll(async () => {
  await server.close();
  await batchServer.close();
  await rm(root, { recursive: true, force: true });
});

const env = (cache: string, baseURL = server.openaiBaseURL): NodeJS.ProcessEnv => ({ OPENAI_API_KEY: KEY, OPENAI_BASE_URL: baseURL, JUDGEKIT_CACHE_DIR: join(root, cache) });
const judge = (outDir: string, cache: string, ...extra: string[]) => runMain(['judge', '--mode', 'pairwise', '--judge', 'openai:gpt-4o-mini', '--out', outDir, ...extra, ...answerFiles], { cwd: root, env: env(cache) });

async function readJudgments(outDir: string): Promise<JudgmentRecord[]> {
  return [...decodeLog<JudgmentRecord>(await readFile(join(outDir, 'judgments.jsonl'), 'utf8')).entries.values()].sort((a, b) => a.index - b.index);
}

describe('judgekit judge --mode pairwise', () => {
  const outDir = (): string => join(root, 'live');
  let results: RunResults;

  beforeAll(async () => {
    const before = server.requests.length;
    const run = await judge(outDir(), 'cache-live');
    expect(run.code, run.stderr).toBe(0);
    // 3 models: 3 pairs x 2 orders per item.
    expect(server.requests.length - before).toBe(ITEMS * 6);
    results = JSON.parse(await readFile(join(outDir(), 'results.json'), 'utf8')) as RunResults;
  });

  it('logs every pair of models in both orders for each item, with the fair verdict and win shares as scores', async () => {
    const records = await readJudgments(outDir());
    expect(records).toHaveLength(ITEMS);
    for (const record of records) {
      expect(record.mode).toBe('pairwise');
      const shown = new Set(record.comparisons?.map((c) => `${c.a}>${c.b}`));
      expect(shown).toEqual(new Set(['alpha>beta', 'beta>alpha', 'alpha>gamma', 'gamma>alpha', 'beta>gamma', 'gamma>beta']));
      for (const comparison of record.comparisons ?? []) {
        const a = fixtureScore(FIXTURE_MODELS.indexOf(comparison.a as (typeof FIXTURE_MODELS)[number]), record.index);
        const b = fixtureScore(FIXTURE_MODELS.indexOf(comparison.b as (typeof FIXTURE_MODELS)[number]), record.index);
        expect(comparison.winner).toBe(a > b ? 'A' : b > a ? 'B' : 'tie');
      }
      // Win share: the best answer of the item won all 4 of its comparisons.
      const best = FIXTURE_MODELS.reduce((top, _, m) => (fixtureScore(m, record.index) > fixtureScore(top, record.index) ? m : top), 0);
      expect(record.scores.find((s) => s.model === FIXTURE_MODELS[best])?.score).toBe(100);
    }
  });

  it('writes Bradley-Terry scores with CIs, win rates and a perfect position consistency into results.json and results.md', async () => {
    const pairwise = results.pairwise?.pairwise as PairwiseResults;
    expect(pairwise.scale).toBe('elo');
    expect(pairwise.comparisons).toBe(ITEMS * 6);
    const wins = FIXTURE_MODELS.map((_, m) => {
      let won = 0;
      for (let i = 0; i < ITEMS; i++) for (let o = 0; o < FIXTURE_MODELS.length; o++) if (o !== m && fixtureScore(m, i) > fixtureScore(o, i)) won++;
      return won;
    });
    // The Bradley-Terry order is the order of the wins, and each score lies inside its CI.
    const byBt = [...pairwise.models].sort((a, b) => b.bt - a.bt).map((m) => m.name);
    const byWins = FIXTURE_MODELS.map((name, m) => ({ name, won: wins[m] as number })).sort((a, b) => b.won - a.won).map((m) => m.name);
    expect(byBt).toEqual(byWins);
    for (const model of pairwise.models) {
      expect(model.ci95[0]).toBeLessThanOrEqual(model.bt);
      expect(model.ci95[1]).toBeGreaterThanOrEqual(model.bt);
      expect(model.winRate).toBeCloseTo(((wins[FIXTURE_MODELS.indexOf(model.name as (typeof FIXTURE_MODELS)[number])] as number) * 2) / (ITEMS * 4), 10);
    }
    expect(pairwise.positionConsistency).toMatchObject({ rate: 1, n: ITEMS * 3 });
    const markdown = await readFile(join(outDir(), 'results.md'), 'utf8');
    expect(markdown).toContain('Bradley-Terry scores (Elo-style');
    expect(markdown).toContain('Position consistency (same winner in both orders): 100.0%');
  });

  it('makes no call when rerun: every judgment comes from judgments.jsonl', async () => {
    const before = server.requests.length;
    const rerun = await judge(outDir(), 'cache-live');
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(server.requests.length - before).toBe(0);
    expect(rerun.stdout).toContain('calls: 0 made');
  });

  it('shows one pair per item in both orders with --options {"pairsPerItem": 1}, cycling through all pairs', async () => {
    const dir = join(root, 'one-pair');
    const before = server.requests.length;
    const run = await judge(dir, 'cache-live', '--options', '{"pairsPerItem": 1}');
    expect(run.code, run.stderr).toBe(0);
    const records = await readJudgments(dir);
    expect(records.every((record) => record.comparisons?.length === 2)).toBe(true);
    const pairs = new Set(records.map((record) => [record.comparisons?.[0]?.a, record.comparisons?.[0]?.b].sort().join('-')));
    expect(pairs.size).toBe(3);
    // Those calls were all made by the full run too: the cache answers them.
    expect(server.requests.length - before).toBe(0);
  });

  it('gives the same verdicts through the provider batch API, with no live call', async () => {
    const dir = join(root, 'batch');
    const run = await runMain(['judge', '--mode', 'pairwise', '--judge', 'openai:gpt-4o-mini', '--out', dir, '--execution', 'batch-api', '--batch-poll-ms', '20', ...answerFiles], { cwd: root, env: env('cache-batch', batchServer.openaiBaseURL) });
    expect(run.code, run.stderr).toBe(0);
    expect(batchServer.liveRequests).toHaveLength(0);
    expect(batchServer.batches.reduce((sum, batch) => sum + batch.requests.length, 0)).toBe(ITEMS * 6);
    const strip = (records: JudgmentRecord[]) => records.map((record) => ({ index: record.index, scores: record.scores, comparisons: record.comparisons }));
    expect(strip(await readJudgments(dir))).toEqual(strip(await readJudgments(outDir())));
  });
});

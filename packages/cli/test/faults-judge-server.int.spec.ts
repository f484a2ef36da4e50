// `judgekit judge` against a judge server that misbehaves: a 429 storm, connection resets, stalls past the
// timeout (before the headers, and mid-body), garbage and truncated bodies, a 503 HTML page and a wrong content
// type. The run completes; passing faults are retried into scores; lasting ones are recorded per item with a
// reason; the summary counts them.
import 'reflect-metadata';
import { decodeLog, type JudgmentRecord, type RunResults } from '@judgekit/core';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capture } from './support/run-main.js';
import { main } from '../src/main.js';
import { startFaultyJudgeServer, type Fault, type FaultyJudgeServer } from './support/faulty-judge-server.js';
import { FIXTURE_MODELS, fixtureBatchedReply, fixtureScore, itemOfPrompt, writeFixtureAnswers } from './support/judge-fixture.js';

const ITEMS = 18;
const STORM = 4;
const HTTP_RETRIES = 3;

/** What item i suffers, by i % 9; `lasting` faults never clear, the others clear after `times` attempts. */
const PLAN: Array<{ name: string; fault: (attempt: number, text: string) => Fault; lasting: boolean }> = [
  { name: 'none', fault: (_, text) => ({ kind: 'ok', text }), lasting: false },
  { name: 'connection reset twice', fault: (n, text) => (n < 2 ? { kind: 'reset' } : { kind: 'ok', text }), lasting: false },
  { name: 'stall past the timeout once', fault: (n, text) => (n < 1 ? { kind: 'stall' } : { kind: 'ok', text }), lasting: false },
  { name: 'garbage body always', fault: () => ({ kind: 'garbage' }), lasting: true },
  { name: 'HTML with a wrong content type always', fault: () => ({ kind: 'wrong-content-type', contentType: 'text/html', body: '<html><body>Welcome to nginx!</body></html>' }), lasting: true },
  {
    name: '503 HTML page, then 429, then fine',
    fault: (n, text) => (n === 0 ? { kind: 'status', status: 503, contentType: 'text/html', body: '<h1>503 Service Unavailable</h1>' } : n === 1 ? { kind: 'status', status: 429, retryAfter: '0' } : { kind: 'ok', text }),
    lasting: false,
  },
  { name: 'connection reset always', fault: () => ({ kind: 'reset' }), lasting: true },
  { name: 'truncated body once', fault: (n, text) => (n < 1 ? { kind: 'truncated' } : { kind: 'ok', text }), lasting: false },
  { name: 'body stalls after the headers once', fault: (n, text) => (n < 1 ? { kind: 'stall-body' } : { kind: 'ok', text }), lasting: false },
];

let server: FaultyJudgeServer;
let root: string;
let files: string[];
const attempts = new Map<number, number>();
/** The storm's 429s by the item they answered: they use up that item's retries too. */
const stormHits = new Map<number, number>();


beforeAll(async () => {
  server = await startFaultyJudgeServer((request) => {
    // A storm of 429s (Retry-After: 0) greets the first requests, whatever item they are for.
    const item = itemOfPrompt(request.prompt);
    if (request.seq < STORM) {
      stormHits.set(item, (stormHits.get(item) ?? 0) + 1);
      return { kind: 'status', status: 429, retryAfter: '0' };
    }
    const attempt = attempts.get(item) ?? 0;
    attempts.set(item, attempt + 1);
    return (PLAN[item % PLAN.length] as (typeof PLAN)[number]).fault(attempt, fixtureBatchedReply(request.prompt));
  });
  root = await mkdtemp(join(tmpdir(), 'judgekit-faults-'));
  files = await writeFixtureAnswers(root, ITEMS);
});

afterAll(async () => {
  await server?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('judgekit judge against a faulty judge server', () => {
  it('completes, scores the items whose faults pass, and records the rest per item with reasons', async () => {
    const stdout = capture();
    const stderr = capture();
    const out = join(root, 'run');
    const code = await main(
      ['judge', '--mode', 'batched', '--judge', 'openai:faulty', '--out', out, '--concurrency', '4', '--timeout-ms', '1500', '--http-retries', String(HTTP_RETRIES), ...files],
      {
        stdout: stdout.stream,
        stderr: stderr.stream,
        env: { OPENAI_API_KEY: 'sk-faults-test', OPENAI_BASE_URL: server.baseURL, JUDGEKIT_CACHE_DIR: join(root, 'cache') },
        cwd: root,
      },
    );
    expect(stderr.text()).not.toMatch(/unexpected error/);
    expect(code).toBe(0);
    expect(server.served.filter((kind) => kind === 'status').length).toBeGreaterThanOrEqual(STORM);

    const log = decodeLog<JudgmentRecord>(await readFile(join(out, 'judgments.jsonl'), 'utf8'));
    expect(log.problems).toEqual([]);
    expect(log.entries.size).toBe(ITEMS);
    const lastingItems: number[] = [];
    for (const record of log.entries.values()) {
      const plan = PLAN[record.index % PLAN.length] as (typeof PLAN)[number];
      if (plan.lasting) {
        lastingItems.push(record.index);
        for (const score of record.scores) {
          expect(score.score, `item ${record.index} (${plan.name})`).toBeNull();
          // A reason a person can act on: the failure kind, then what happened.
          expect(score.failure, `item ${record.index} (${plan.name})`).toMatch(/^(network|timeout|server|bad-response|rate-limit): \S/);
        }
        expect(record.attempts).toBe(1);
      } else {
        expect(record.scores.map((score) => score.score), `item ${record.index} (${plan.name})`).not.toContain(null);
      }
    }
    // Lasting faults were retried exactly --http-retries times, no more (less the storm's 429s that item drew: which
    // items the first requests carry depends on scheduling).
    expect([...stormHits.values()].reduce((a, b) => a + b, 0)).toBe(STORM);
    for (const item of lastingItems) expect(attempts.get(item), `item ${item}`).toBe(HTTP_RETRIES + 1 - (stormHits.get(item) ?? 0));

    // The summary counts them: results per model, and the calls line.
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as RunResults;
    for (const model of results.models) {
      expect(model.failed).toBe(lastingItems.length);
      expect(model.scored + model.failed).toBe(ITEMS);
    }
    expect(stdout.text()).toMatch(new RegExp(`${lastingItems.length} failed\\)`));
    expect(stdout.text()).toMatch(/\d+ retries/);
  }, 90_000);
});

describe('judgekit judge --mode single against a judge that answers with garbage text', () => {
  it('with --strict-replies re-asks after an unusable reply, and records the ones that stay unusable per answer with the reply quoted', async () => {
    const asked = new Map<string, number>();
    const garbage = await startFaultyJudgeServer((request) => {
      const item = itemOfPrompt(request.prompt);
      const attempt = asked.get(request.prompt) ?? 0;
      asked.set(request.prompt, attempt + 1);
      const worth = /worth (\d+)/.exec(request.prompt)?.[1] ?? '0';
      // Item kinds by i % 3: always prose; prose once then a number; a plain number.
      if (item % 3 === 0) return { kind: 'ok', text: `I would rate this response ${worth} out of 100.` };
      if (item % 3 === 1 && attempt === 0) return { kind: 'ok', text: `{"score": ${worth}}` };
      return { kind: 'ok', text: worth };
    });
    try {
      const stdout = capture();
      const stderr = capture();
      const out = join(root, 'single-run');
      const singleDir = join(root, 'single');
      await mkdir(singleDir);
      const singleFiles = await writeFixtureAnswers(singleDir, 6);
      const code = await main(['judge', '--mode', 'single', '--judge', 'openai:prose', '--out', out, '--retries', '2', '--strict-replies', ...singleFiles], {
        stdout: stdout.stream,
        stderr: stderr.stream,
        env: { OPENAI_API_KEY: 'sk-faults-test', OPENAI_BASE_URL: garbage.baseURL, JUDGEKIT_CACHE_DIR: join(root, 'single-cache') },
        cwd: root,
      });
      expect(stderr.text()).not.toMatch(/unexpected error/);
      expect(code).toBe(0);
      const log = decodeLog<JudgmentRecord>(await readFile(join(out, 'judgments.jsonl'), 'utf8'));
      expect(log.entries.size).toBe(6);
      for (const record of log.entries.values()) {
        for (const score of record.scores) {
          if (record.index % 3 === 0) {
            expect(score.score).toBeNull();
            expect(score.failure).toMatch(/reply is not an integer: "I would rate this response \d+ out of 100\." \(after 3 attempts\)/);
          } else expect(score.score).toBe(fixtureScore(FIXTURE_MODELS.indexOf(score.model as (typeof FIXTURE_MODELS)[number]), record.index));
        }
      }
      // Prose items were asked 1 + 2 times per answer; the re-asked ones twice; the rest once.
      expect([...asked.values()].sort()).toEqual([...Array(6).fill(1), ...Array(6).fill(2), ...Array(6).fill(3)].sort());
      const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as RunResults;
      for (const model of results.models) expect([model.scored, model.failed]).toEqual([4, 2]);
    } finally {
      await garbage.close();
    }
  }, 90_000);
});

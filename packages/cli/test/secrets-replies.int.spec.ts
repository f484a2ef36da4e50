// Raw judge replies are recorded in judgments.jsonl and shown in the report's item browser, scrubbed like every
// other output: a judge server whose replies echo the API key (the environment's value) and a key-shaped string,
// for a single, a batched and a pairwise judge. `judgekit judge` and `judgekit report` run as child processes; the
// reply text must be in judgments.jsonl and report.html with both secrets replaced by REDACTED. (The judge cache
// keeps replies as the provider sent them, as it always has; it is not an output.)
import { singlePromptAnswer, startFakeLlmServer, type FakeLlmServer } from '@judgekit/judges/testing';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pairwisePromptAnswers, type JudgmentRecord } from '@judgekit/core';
import { runJudgekit } from './support/cli-process.js';
import { fixtureBatchedReply, isBatchedPrompt, writeFixtureAnswers } from './support/judge-fixture.js';

/** The API key the CLI gets from its environment; not key-shaped, so only the environment scrub can catch it. */
const ENV_KEY = 'PLANTEDenvkey-4c1d9e7b20';
/** A key of a recognisable shape that is in no environment. */
const SHAPED_KEY = 'sk-proj-PLANTEDreplykey93b1f0aa';
const ITEMS = 3;
const worth = (answer: string): number => Number(/worth (\d+)/.exec(answer)?.[1] ?? 0);

let server: FakeLlmServer;
let root: string;
let answerFiles: string[];

beforeAll(async () => {
  server = await startFakeLlmServer((request) => {
    const leak = `key ${ENV_KEY} and ${SHAPED_KEY}`;
    if (isBatchedPrompt(request.prompt)) {
      const reply = JSON.parse(fixtureBatchedReply(request.prompt)) as Record<string, { score: number; comments: string }>;
      reply['Model 1']!.comments += ` (${leak})`;
      return JSON.stringify(reply);
    }
    const pair = pairwisePromptAnswers(request.prompt);
    if (pair.length === 2) {
      const [a, b] = pair.map(worth) as [number, number];
      return JSON.stringify({ winner: a > b ? 'A' : b > a ? 'B' : 'tie', comments: `compared (${leak})` });
    }
    return `${worth(singlePromptAnswer(request.prompt) ?? '')}\nI was called with ${leak}.`;
  });
  root = await mkdtemp(join(tmpdir(), 'judgekit-secrets-replies-'));
  answerFiles = await writeFixtureAnswers(root, ITEMS);
});

afterAll(async () => {
  await server?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

async function judgeAndReport(mode: 'single' | 'batched' | 'pairwise'): Promise<{ judgments: JudgmentRecord[]; jsonl: string; html: string }> {
  const out = join(root, `run-${mode}`);
  const env = { HOME: join(root, 'home'), OPENAI_API_KEY: ENV_KEY, JUDGEKIT_CACHE_DIR: join(root, 'env-cache') };
  const judged = await runJudgekit(['judge', '--mode', mode, '--judge', 'openai:reply-judge', '--base-url', server.openaiBaseURL, '--out', out, '--cache-dir', join(root, `cache-${mode}`), ...answerFiles], env);
  expect(judged.code, judged.stderr).toBe(0);
  const reported = await runJudgekit(['report', out], env);
  expect(reported.code, reported.stderr).toBe(0);
  const jsonl = await readFile(join(out, 'judgments.jsonl'), 'utf8');
  const judgments = jsonl
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { value: JudgmentRecord }).value);
  return { judgments, jsonl, html: await readFile(join(out, 'report.html'), 'utf8') };
}

function expectNoKey(...texts: string[]): void {
  for (const text of texts) for (const secret of [ENV_KEY, SHAPED_KEY, SHAPED_KEY.slice(3, -3)]) expect(text).not.toContain(secret);
}

describe('raw judge replies in judgments.jsonl and the report, with secrets scrubbed', () => {
  it('a single judge records each model call’s reply text, with the echoed keys REDACTED in judgments.jsonl and report.html', async () => {
    const { judgments, jsonl, html } = await judgeAndReport('single');
    expect(judgments).toHaveLength(ITEMS);
    const item1 = judgments.find((j) => j.index === 1)!;
    // fixtureScore(m, 1) = (37 + 23 m) % 101: 37, 60, 83 for alpha, beta, gamma.
    expect(item1.scores.map((s) => [s.model, s.score, s.reply])).toEqual(
      [37, 60, 83].map((score, m) => [['alpha', 'beta', 'gamma'][m], score, `${score}\nI was called with key REDACTED and REDACTED.`]),
    );
    expectNoKey(jsonl, html);
    // The report's embedded item data carries the scrubbed reply text (JSON-escaped inside the page).
    expect(html).toContain(JSON.stringify('37\nI was called with key REDACTED and REDACTED.').slice(1, -1));
  }, 120_000);

  it('a batched judge records the call’s one reply on the item, scrubbed, and the report carries it', async () => {
    const { judgments, jsonl, html } = await judgeAndReport('batched');
    expect(judgments).toHaveLength(ITEMS);
    for (const j of judgments) {
      expect(j.reply).toMatch(/^\{"Model 1":\{"score":\d+,"comments":"judged item-\d \(key REDACTED and REDACTED\)"\}/);
      expect(j.scores.every((s) => s.reply === undefined)).toBe(true);
    }
    expectNoKey(jsonl, html);
    expect(html).toContain('(key REDACTED and REDACTED)');
  }, 120_000);

  it('a pairwise judge records each comparison’s reply, scrubbed, and the report carries it', async () => {
    const { judgments, jsonl, html } = await judgeAndReport('pairwise');
    const comparisons = judgments.flatMap((j) => j.comparisons ?? []);
    // 3 models: 3 pairs in both orders per item.
    expect(comparisons).toHaveLength(ITEMS * 6);
    for (const c of comparisons) expect(c.reply).toBe(JSON.stringify({ winner: c.winner, comments: 'compared (key REDACTED and REDACTED)' }));
    expectNoKey(jsonl, html);
    expect(html).toContain('compared (key REDACTED and REDACTED)');
  }, 120_000);
});

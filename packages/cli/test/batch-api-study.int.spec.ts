// A study config's `judges[].execution: "batch-api"`: `judgekit run` sends the judge's calls as OpenAI batches
// (split by `batch.maxRequests`), records them in the judge's folder, and gets the same scores as the live judge.
import { decodeLog, singlePromptAnswer, type JudgmentRecord } from '@judgekit/core';
import { startFakeBatchServer, type FakeBatchServer } from '@judgekit/judges/testing';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFixtureAnswers } from './support/judge-fixture.js';
import { runMain } from './support/run-main.js';

let server: FakeBatchServer;
let root: string;

beforeAll(async () => {
  server = await startFakeBatchServer({ script: (request) => /worth (\d+)/.exec(singlePromptAnswer(request.prompt) ?? '')?.[1] ?? 'none' });
  root = await mkdtemp(join(tmpdir(), 'judgekit-batch-study-'));
  const files = await writeFixtureAnswers(root, 4);
  const judge = { name: 'single', mode: 'single', judge: 'openai:gpt-4o-mini' };
  for (const [name, extra] of [['live', {}], ['batch', { execution: 'batch-api', batch: { pollMs: 20, maxRequests: 5 } }]] as const) {
    await writeFile(
      join(root, `${name}.json`),
      JSON.stringify({ runDir: `out-${name}`, models: files.map((file, i) => ({ name: `m${i}`, answers: file })), judges: [{ ...judge, ...extra }] }),
    );
  }
});

afterAll(async () => {
  await server?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

async function scores(runDir: string): Promise<Record<string, Array<number | null>>> {
  const { entries } = decodeLog<JudgmentRecord>(await readFile(join(root, runDir, 'judgments.jsonl'), 'utf8'));
  return Object.fromEntries([...entries].map(([key, record]) => [key, record.scores.map((score) => score.score)]));
}

describe('judgekit run with judges[].execution "batch-api"', () => {
  it('judges through batches of at most batch.maxRequests, records them in the judge folder, and scores as the live judge does', async () => {
    const env = { OPENAI_API_KEY: 'sk-study-batch-test', OPENAI_BASE_URL: server.openaiBaseURL };
    const live = await runMain(['run', 'live.json'], { cwd: root, env: { ...env, JUDGEKIT_CACHE_DIR: join(root, 'cache-live') } });
    expect(live.code, live.stderr).toBe(0);
    const liveCalls = server.liveRequests.length;
    expect(liveCalls).toBe(12);
    const batch = await runMain(['run', 'batch.json'], { cwd: root, env: { ...env, JUDGEKIT_CACHE_DIR: join(root, 'cache-batch') } });
    expect(batch.code, batch.stderr).toBe(0);
    expect(server.liveRequests.length).toBe(liveCalls);
    expect(server.batches.map((created) => created.requests.length)).toEqual([5, 5, 2]);
    const state = JSON.parse(await readFile(join(root, 'out-batch', 'judges', 'single', 'batches.json'), 'utf8')) as { batches: Array<{ id: string; downloaded: boolean }> };
    expect(state.batches.map((entry) => entry.id)).toEqual(server.batches.map((created) => created.id));
    expect(await scores('out-batch')).toEqual(await scores('out-live'));
  });
});

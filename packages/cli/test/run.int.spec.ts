// `judgekit run` in-process on a study of answer files: a batched and a single judge against the fake
// OpenAI-compatible server plus the reference judge; the study table, the merged run directory, the report, and
// a second run that makes no request and says there is nothing to do.
import 'reflect-metadata';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonlLog, type JudgmentRecord, type RunResults } from '@judgekit/core';
import { batchedReplyFor, singlePromptAnswer, startFakeLlmServer, type FakeLlmServer } from '@judgekit/judges/testing';
import { runMain } from './support/run-main.js';

const KEY = 'sk-test-SECRET-run-7f3a';
let server: FakeLlmServer;
let root: string;

const judgekit = (args: string[]) =>
  runMain(args, { cwd: root, env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.openaiBaseURL, JUDGEKIT_CACHE_DIR: join(root, 'cache') } });

const worth = (answer: string): number => Number(/worth (\d+)/.exec(answer)?.[1] ?? -1);
const SCORES: Record<string, number[]> = { weak: [10, 20, 30, 40], strong: [70, 80, 90, 100] };

beforeAll(async () => {
  server = await startFakeLlmServer((request) =>
    request.prompt.startsWith('Given the input') ? String(worth(singlePromptAnswer(request.prompt) ?? '')) : batchedReplyFor(request.prompt, worth),
  );
  root = await mkdtemp(join(tmpdir(), 'judgekit-run-'));
  for (const [name, scores] of Object.entries(SCORES)) {
    const records = scores.map((score, i) => ({ instruction: `Task ${i}`, input: i % 2 ? 'with input' : '', output: `answer worth 100 number ${i}`, model_response: `answer worth ${score}` }));
    await writeFile(join(root, `${name}-ift-test-results.json`), JSON.stringify(records));
  }
  await writeFile(
    join(root, 'study.json'),
    JSON.stringify({
      runDir: 'out',
      models: [
        { name: 'Weak model', answers: 'weak-ift-test-results.json' },
        { name: 'Strong model', answers: 'strong-ift-test-results.json' },
      ],
      judges: [
        { name: 'batched', mode: 'batched', judge: 'openai:judge-model', repeats: 2, seed: 5 },
        { name: 'single', mode: 'single', judge: 'openai:judge-model' },
        { mode: 'reference' },
      ],
    }),
  );
});

afterAll(async () => {
  await server.close();
});

describe('judgekit run (answer files, three judges)', () => {
  it('judges, merges every judge into one table and run directory, and writes the report', async () => {
    const { code, stdout, stderr } = await judgekit(['run', 'study.json']);
    expect(stderr).not.toContain('unexpected error');
    expect(code).toBe(0);
    // batched: 4 items x 2 repeats; single: 4 items x 2 models.
    expect(server.requests).toHaveLength(16);
    expect(stdout).toMatch(/\| model \| test loss \| batched score \| single score \| reference score \|/);

    const out = join(root, 'out');
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as RunResults;
    expect(results.judges.map((judge) => judge.name)).toEqual(['batched', 'single', 'reference']);
    const [weak, strong] = results.models;
    expect(weak?.name).toBe('Weak model');
    expect(weak?.judges?.batched?.score).toBe(25);
    expect(strong?.judges?.batched?.score).toBe(85);
    expect(strong?.judges?.single?.score).toBe(85);
    expect(weak?.score).toBe(25); // the primary (first) judge
    expect(strong?.judges?.reference?.score).toBeGreaterThan(weak?.judges?.reference?.score ?? 100);

    const { entries, problems } = await new JsonlLog<JudgmentRecord>(join(out, 'judgments.jsonl')).read();
    expect(problems).toEqual([]);
    const judges = new Set([...entries.values()].map((record) => record.judge));
    expect([...judges].sort()).toEqual(['batched', 'reference', 'single']);
    expect(entries.size).toBe(8 + 4 + 4);

    const csv = await readFile(join(out, 'results.csv'), 'utf8');
    expect(csv.split('\n')[0]).toBe(
      'model,test_loss,batched_score,batched_ci95_low,batched_ci95_high,batched_scored,batched_failed,single_score,single_ci95_low,single_ci95_high,single_scored,single_failed,reference_score,reference_ci95_low,reference_ci95_high,reference_scored,reference_failed',
    );
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('Strong model');
    const runJson = await readFile(join(out, 'run.json'), 'utf8');
    expect(runJson).toContain('"stagesRun"');
    expect(runJson).not.toContain(KEY);
  });

  it('does nothing on a finished run, and makes no request', async () => {
    const before = server.requests.length;
    const { code, stdout } = await judgekit(['run', 'study.json']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Nothing to do/);
    expect(server.requests.length).toBe(before);
  });

  it('adds a judge to a finished run with only that judge\'s calls', async () => {
    const config = JSON.parse(await readFile(join(root, 'study.json'), 'utf8')) as { judges: unknown[] };
    config.judges.push({ name: 'single-study', mode: 'single', judge: 'openai:judge-model', wording: 'study' });
    await writeFile(join(root, 'study.json'), JSON.stringify(config));
    const before = server.requests.length;
    const { code, stdout } = await judgekit(['run', 'study.json']);
    expect(code).toBe(0);
    expect(server.requests.length - before).toBe(8);
    expect(stdout).toContain('single-study score');
  });

  it('passes a judge\'s providerOptions to its provider, checked against the provider\'s schema', async () => {
    const study = (providerOptions: Record<string, unknown>) =>
      JSON.stringify({
        runDir: 'out-provider',
        models: [
          { name: 'Weak model', answers: 'weak-ift-test-results.json' },
          { name: 'Strong model', answers: 'strong-ift-test-results.json' },
        ],
        judges: [{ mode: 'single', judge: 'openai:judge-model', providerOptions }],
      });
    // No OPENAI_BASE_URL in the environment: the endpoint comes from providerOptions alone.
    const env = { OPENAI_API_KEY: KEY, JUDGEKIT_CACHE_DIR: join(root, 'cache-provider') };
    await writeFile(join(root, 'provider.json'), study({ baseURL: server.openaiBaseURL }));
    const before = server.requests.length;
    const ok = await runMain(['run', 'provider.json'], { cwd: root, env });
    expect(ok.code).toBe(0);
    expect(server.requests.length - before).toBe(8);
    await writeFile(join(root, 'provider-bad.json'), study({ baseUrl: server.openaiBaseURL }));
    const bad = await runMain(['run', 'provider-bad.json'], { cwd: root, env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/provider-bad\.json: judges\[0\]\.providerOptions: unknown option "baseUrl" \(options of chat-provider "openai" from @judgekit\/judges@/);
  });

  it('reads two models from one file holding several models\' answers, each by its models[].response field', async () => {
    const records = [0, 1, 2].map((i) => ({ instruction: `Task ${i}`, input: '', output: `the reference ${i}`, 'model 1 response': `the reference ${i}`, 'model 2 response': 'something else entirely' }));
    await writeFile(join(root, 'pair.json'), JSON.stringify(records));
    const study = (models: unknown[]) => JSON.stringify({ runDir: 'out-pair', models, judges: [{ mode: 'reference' }] });
    await writeFile(
      join(root, 'pair-study.json'),
      study([
        { name: 'Copycat', answers: 'pair.json', response: 'model 1 response' },
        { name: 'Stranger', answers: 'pair.json', response: 'model 2 response' },
      ]),
    );
    const { code, stdout, stderr } = await judgekit(['run', 'pair-study.json']);
    expect(stderr).not.toContain('unexpected error');
    expect(code).toBe(0);
    const results = JSON.parse(await readFile(join(root, 'out-pair', 'results.json'), 'utf8')) as RunResults;
    expect(results.models.map((model) => [model.name, model.score])).toEqual([
      ['Copycat', 100],
      ['Stranger', 0],
    ]);
    expect(stdout).toContain('Copycat');

    await writeFile(join(root, 'pair-unnamed.json'), study([{ name: 'Copycat', answers: 'pair.json' }]).replace('out-pair', 'out-pair-unnamed'));
    const unnamed = await judgekit(['run', 'pair-unnamed.json']);
    expect(unnamed.code).toBe(1);
    expect(unnamed.stderr).toMatch(/pair\.json holds several models' answers \(`model 1 response`, `model 2 response`\): name the field to read \(a study's models\[\]\.response\)/);
  });

  it('refuses a config with an unknown field, naming it', async () => {
    await writeFile(join(root, 'bad.json'), JSON.stringify({ models: [{ name: 'x', answers: 'weak-ift-test-results.json', weights: 'x' }] }));
    const { code, stderr } = await judgekit(['run', 'bad.json']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/bad\.json/);
    expect(stderr).toMatch(/\/models\/0: unknown field "weights"/);
  });
});

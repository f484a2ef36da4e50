// The rubric judge as a study uses it: loaded by path beside @judgekit/judges, its options validated, assembled
// with the real OpenAI provider, and run by the judge runner against the local OpenAI-compatible server.
import 'reflect-metadata';
import { assembleContainer, assembleJudge, contributionRegistry, JudgeRunner, loadAnswerFiles, type ContributionRegistry } from '@judgekit/core';
import judgesModule from '@judgekit/judges';
import { fencedBlocks, startFakeLlmServer, type FakeLlmServer } from '@judgekit/judges/testing';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const plugin = fileURLToPath(new URL('./index.ts', import.meta.url));
const CRITERIA = ['Repeats the word of the input.', 'Adds nothing else.'];
let server: FakeLlmServer;
let dir: string;
let registry: ContributionRegistry;

/** The fake judge: 10 for an answer that is exactly the reference, 4 for one that contains it, 1 otherwise. */
function rubricReply(prompt: string): string {
  const blocks = Object.fromEntries(fencedBlocks(prompt).map((block) => [block.heading, block.text]));
  const [reference, answer] = [blocks['A correct answer:'] ?? '', blocks["The model's answer:"] ?? ''];
  return answer === reference ? '10' : answer.includes(reference) ? '4' : '1';
}

beforeAll(async () => {
  server = await startFakeLlmServer((request) => rubricReply(request.prompt));
  dir = await mkdtemp(join(tmpdir(), 'judgekit-rubric-'));
  const items = ['apple 0', 'river 1', 'lantern 2'];
  for (const [name, answer] of [
    ['exact', (text: string) => text],
    ['chatty', (text: string) => `Sure! ${text}`],
    ['wrong', () => 'banana'],
  ] as const) {
    const records = items.map((text) => ({ instruction: 'Repeat the word in the input.', input: text, output: text, model_response: answer(text) }));
    await writeFile(join(dir, `${name}-ift-test-results.json`), JSON.stringify(records));
  }
  const { container } = await assembleContainer({ modules: [judgesModule], plugins: [plugin] });
  registry = contributionRegistry(container);
});

afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function rubricJudge(options: Record<string, unknown>, cacheDir = join(dir, 'cache')) {
  return assembleJudge('rubric', { mode: 'rubric', judge: 'openai:judge-model', temperature: 0, options }, {
    registry,
    env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: server.openaiBaseURL },
    cacheDir,
    at: { file: 'study.json', path: 'judges[1]' },
  });
}

describe('the rubric judge through the OpenAI provider', () => {
  it('scores every answer against the criteria, rescaled to 0-100, and caches the calls', async () => {
    const answers = await loadAnswerFiles(['exact', 'chatty', 'wrong'].map((name) => join(dir, `${name}-ift-test-results.json`)));
    const before = server.requests.length;
    const assembled = rubricJudge({ criteria: CRITERIA });
    const run = () => new JudgeRunner().run({ answers, judge: assembled.judge, outDir: join(dir, 'run'), calls: assembled.calls, progress: { enabled: false } });
    const summary = await run();
    expect(summary.results.models.map((model) => [model.name, model.score, model.scored, model.failed])).toEqual([
      ['exact', 100, 3, 0],
      ['chatty', 40, 3, 0],
      ['wrong', 10, 3, 0],
    ]);
    const requests = server.requests.slice(before);
    expect(requests).toHaveLength(9);
    expect(requests[0]!.body).toMatchObject({ model: 'judge-model', temperature: 0 });
    expect(requests[0]!.prompt).toContain(`1. ${CRITERIA[0]}\n2. ${CRITERIA[1]}`);
    expect(requests[0]!.prompt).toContain('from 0 to 10');
    // The rubric is part of the judge's identity, so a changed rubric is never answered from the cache.
    expect(summary.results.judges[0]).toMatchObject({ mode: 'rubric', provider: 'openai', model: 'judge-model' });
    const runJson = JSON.parse(await readFile(join(dir, 'run', 'run.json'), 'utf8')) as { judge?: { criteria?: string[] } };
    expect(JSON.stringify(runJson)).toContain(CRITERIA[0]);
    await rm(join(dir, 'run'), { recursive: true });
    await run();
    expect(server.requests.length - before).toBe(9);
  });

  it('re-asks after a reply off the scale, and records a failure after the last try', async () => {
    const answers = await loadAnswerFiles([join(dir, 'exact-ift-test-results.json')]);
    server.setScript((request) => (/apple/.test(request.prompt) ? '11' : '3'));
    const assembled = rubricJudge({ criteria: ['Is short.'], scale: 5, showReference: false }, join(dir, 'cache-2'));
    const summary = await new JudgeRunner().run({ answers, judge: assembled.judge, outDir: join(dir, 'run-2'), calls: assembled.calls, progress: { enabled: false } });
    expect(summary.results.models[0]).toMatchObject({ scored: 2, failed: 1, score: 60 });
    const judgments = await readFile(join(dir, 'run-2', 'judgments.jsonl'), 'utf8');
    expect(judgments).toContain('score 11 is out of range 0-5 (after 3 attempts)');
    server.setScript((request) => rubricReply(request.prompt));
  });

  it('refuses options that do not fit its schema, naming the config path', () => {
    expect(() => rubricJudge({})).toThrow(/study\.json: judges\[1\]\.options: missing option "criteria"/);
    expect(() => rubricJudge({ criteria: [] })).toThrow(/judges\[1\]\.options\.criteria: must NOT have fewer than 1 items/);
    expect(() => rubricJudge({ criteria: ['x'], scale: 0 })).toThrow(/judges\[1\]\.options\.scale: must be >= 1/);
    expect(() => rubricJudge({ criteria: ['x'], colour: 'red' })).toThrow(/unknown option "colour"/);
  });
});

// JudgeRunner end to end against the fake server: run-directory files, exact aggregates, resuming from
// judgments.jsonl, the cache (a rerun makes no requests; repeats are real samples), and no key on disk.
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskCache, encodeLogLine, JudgeCallRunner, JudgeRunner, loadAnswerFiles, planJudgeRun, type JudgeRunOptions, type JudgmentRecord, type ModelAnswers, type RunItems, type RunResults } from '@judgekit/core';
import { BatchedJudge } from './batched-judge.js';
import { AnthropicProvider } from './providers/anthropic-provider.js';
import { OpenAiProvider } from './providers/openai-provider.js';
import { SingleJudge } from './single-judge.js';
import { batchedReplyFor, singlePromptAnswer, startFakeLlmServer, type FakeLlmServer } from './testing/index.js';

const KEY = 'sk-test-SECRET-abc123';
let server: FakeLlmServer;
let root: string;
let answers: ModelAnswers[];

const worth = (answer: string): number => Number(/worth (\d+)/.exec(answer)?.[1] ?? -1);
/** Item 2 always gets an unusable reply. */
function script(request: { prompt: string }): string {
  if (request.prompt.includes('Task 2')) return 'I cannot decide.';
  if (request.prompt.startsWith('Given the input')) return String(worth(singlePromptAnswer(request.prompt) ?? ''));
  return batchedReplyFor(request.prompt, worth);
}

async function writeAnswers(dir: string, name: string, scores: number[]): Promise<string> {
  const file = join(dir, `${name}-ift-test-results.json`);
  const records = scores.map((score, index) => ({ instruction: `Task ${index}`, input: index % 2 ? 'some input' : '', output: `out ${index}`, model_response: `answer worth ${score}` }));
  await writeFile(file, JSON.stringify(records, null, 2));
  return file;
}

beforeAll(async () => {
  server = await startFakeLlmServer(script);
  root = await mkdtemp(join(tmpdir(), 'judgekit-runner-'));
  answers = await loadAnswerFiles([await writeAnswers(root, 'alpha', [10, 20, 30, 40]), await writeAnswers(root, 'beta', [50, 60, 70, 80])]);
});
afterAll(async () => {
  await server.close();
});

async function setup(mode: 'single' | 'batched', extra: Partial<JudgeRunOptions> = {}, provider: 'openai' | 'anthropic' | 'responses' = 'openai') {
  const outDir = await mkdtemp(join(root, 'run-'));
  const cacheDir = join(root, 'cache');
  const chat =
    provider === 'anthropic'
      ? new AnthropicProvider({ env: { ANTHROPIC_API_KEY: KEY }, baseURL: server.anthropicBaseURL })
      : new OpenAiProvider({ env: { OPENAI_API_KEY: KEY }, baseURL: server.openaiBaseURL, api: provider === 'responses' ? 'responses' : 'chat' });
  const make = () => {
    const calls = new JudgeCallRunner({ cache: new DiskCache(cacheDir), concurrency: 3, backoff: { baseMs: 1 } });
    const judge = mode === 'batched' ? new BatchedJudge({ provider: chat, calls, model: `judge-${provider}`, retries: 1 }) : new SingleJudge({ provider: chat, calls, model: `judge-${provider}`, retries: 1 });
    return { answers, judge, calls, provider: chat, outDir, ...extra } satisfies JudgeRunOptions;
  };
  return { outDir, cacheDir, make };
}

const readJson = async <T>(path: string): Promise<T> => JSON.parse(await readFile(path, 'utf8')) as T;

describe('JudgeRunner', () => {
  it('writes the run directory with exact failed-as-zero aggregates (batched default)', async () => {
    const { outDir, make } = await setup('batched');
    const before = server.requests.length;
    const summary = await new JudgeRunner().run(make());
    // 4 items; item 2 fails (2 attempts). alpha 10+20+40 = 70 over 4 = 17.5; beta 50+60+80 = 190 over 4 = 47.5.
    expect(server.requests.length - before).toBe(5);
    expect(summary.results.models.map((m) => [m.name, m.score, m.scored, m.failed])).toEqual([
      ['alpha', 17.5, 3, 1],
      ['beta', 47.5, 3, 1],
    ]);
    const results = await readJson<RunResults>(join(outDir, 'results.json'));
    expect(results.judges[0]).toMatchObject({ name: 'batched', mode: 'batched', aggregate: 'failed-as-zero', repeats: 1, model: 'judge-openai' });
    const [low, high] = results.models[0]!.ci95;
    expect(low).toBeLessThanOrEqual(17.5);
    expect(high).toBeGreaterThanOrEqual(17.5);
    expect(await readFile(join(outDir, 'results.csv'), 'utf8')).toMatch(/^model,score,ci95_low,ci95_high,scored,failed\nalpha,17.5,/);
    expect(await readFile(join(outDir, 'results.md'), 'utf8')).toContain('| alpha | 17.50 |');

    const items = await readJson<RunItems>(join(outDir, 'items.json'));
    expect(items.items[1]!.prompt).toContain('### Input:\nsome input');
    expect(items.models.map((m) => m.name)).toEqual(['alpha', 'beta']);

    const annotated = await readJson<Array<Record<string, any>>>(join(outDir, 'alpha-ift-test-results-annotated.json'));
    expect(annotated.map((r) => r.llm_score)).toEqual([10, 20, null, 40]);
    expect(annotated[0]).toMatchObject({ model_response: 'answer worth 10', llm_comments: expect.stringMatching(/^slot \d$/), judge: { mode: 'batched', provider: 'openai', model: 'judge-openai', failure: null } });
    expect(annotated[0]!.judge.position).toBeGreaterThan(0);
    expect(annotated[2]!.judge.failure).toMatch(/not JSON/);

    const run = await readJson<Record<string, any>>(join(outDir, 'run.json'));
    expect(run.calls.session).toMatchObject({ calls: 5, cachedCalls: 0 });
    expect(run.tokens.session.prompt).toBeGreaterThan(0);
    expect(run.dataset.files).toHaveLength(2);
    expect(run.dataset.files[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(run.seeds.order).toBe(123);
    expect(run.packages['@judgekit/judges']).toBe('0.1.0');
    expect(run.packages.openai).toMatch(/^\d+\./);
  });

  it('drop-failed divides by the scored items only', async () => {
    const { make } = await setup('batched', { aggregate: 'drop-failed' });
    const summary = await new JudgeRunner().run(make());
    expect(summary.results.models[0]!.score).toBeCloseTo(70 / 3, 12);
    expect(summary.results.models[1]!.score).toBeCloseTo(190 / 3, 12);
  });

  it('single mode: one call per model per item, book aggregation by default', async () => {
    const { make } = await setup('single');
    const before = server.requests.length;
    const summary = await new JudgeRunner().run(make());
    // 3 good items x 2 models + item 2: 2 models x 2 attempts.
    expect(server.requests.length - before).toBe(10);
    expect(summary.results.models.map((m) => m.score)).toEqual([70 / 3, 190 / 3]);
  });

  it('a rerun makes zero requests: the log has every judgment, and the cache every call', async () => {
    const { outDir, make } = await setup('batched');
    await new JudgeRunner().run(make());
    const before = server.requests.length;
    const again = await new JudgeRunner().run(make());
    expect(server.requests.length).toBe(before);
    expect(again.newJudgments).toBe(0);
    // Without the log the cache still answers every call.
    await writeFile(join(outDir, 'judgments.jsonl'), '');
    const fromCache = await new JudgeRunner().run(make());
    expect(server.requests.length).toBe(before);
    expect(fromCache.newJudgments).toBe(4);
    expect(fromCache.calls).toMatchObject({ calls: 0, cachedCalls: 5 });
    expect(fromCache.results.models[0]!.score).toBe(17.5);
    const run = await readJson<{ sessions: unknown[] }>(join(outDir, 'run.json'));
    expect(run.sessions).toHaveLength(3);
  });

  it('records the raw reply the server sent in judgments.jsonl: per model for single, once per item for batched, an unusable one too; a changed reply never makes a judgment stale', async () => {
    const logged = async (outDir: string): Promise<Array<{ key: string; value: JudgmentRecord }>> =>
      (await readFile(join(outDir, 'judgments.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { key: string; value: JudgmentRecord });
    const single = await setup('single');
    await new JudgeRunner().run(single.make());
    const singles = (await logged(single.outDir)).map((line) => line.value).sort((a, b) => a.index - b.index);
    expect(singles.map((r) => r.scores.map((s) => s.reply))).toEqual([['10', '50'], ['20', '60'], ['I cannot decide.', 'I cannot decide.'], ['40', '80']]);
    expect(singles.every((r) => r.reply === undefined)).toBe(true);

    const batched = await setup('batched');
    await new JudgeRunner().run(batched.make());
    const lines = await logged(batched.outDir);
    const byIndex = new Map(lines.map((line) => [line.value.index, line.value]));
    // The batched reply is the server's text for the item's one call (the last attempt's for item 2).
    const prompt0 = server.requests.find((r) => r.prompt.includes('Task 0') && r.prompt.includes('# Model 1'))!.prompt;
    expect(byIndex.get(0)!.reply).toBe(batchedReplyFor(prompt0, worth));
    expect(byIndex.get(2)!.reply).toBe('I cannot decide.');
    expect(lines.every((line) => line.value.scores.every((s) => s.reply === undefined))).toBe(true);

    // Rewrite every logged reply (with valid line checksums): the rerun still reuses every judgment.
    await writeFile(join(batched.outDir, 'judgments.jsonl'), lines.map((line) => encodeLogLine(line.key, { ...line.value, reply: 'edited' })).join(''));
    const notices: string[] = [];
    const before = server.requests.length;
    const again = await new JudgeRunner().run({ ...batched.make(), notify: (message) => notices.push(message) });
    expect(server.requests.length).toBe(before);
    expect(again.newJudgments).toBe(0);
    expect(notices.filter((n) => n.includes('redone'))).toEqual([]);
  });

  it('redoes only the judgments a damaged log lost, and reports the damage', async () => {
    const { outDir, make } = await setup('batched');
    await new JudgeRunner().run(make());
    const logPath = join(outDir, 'judgments.jsonl');
    const lines = (await readFile(logPath, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    lines[1] = lines[1]!.replace('"score":', '"score": 1, "x":');
    // Line 2 edited (checksum no longer matches) and line 4 torn by a crash mid-write.
    await writeFile(logPath, `${lines.slice(0, 3).join('\n')}\n{"key": "batched/0/3", "sum"`);
    const notices: string[] = [];
    const rerun = await new JudgeRunner().run({ ...make(), notify: (m) => notices.push(m) });
    expect(rerun.logProblems.length).toBeGreaterThanOrEqual(2);
    expect(rerun.newJudgments).toBe(2);
    expect(notices.join('\n')).toMatch(/line 2: checksum mismatch/);
    expect(rerun.results.models[0]!.score).toBe(17.5);
  });

  it('--repeats 2 makes twice the requests with distinct cache keys', async () => {
    const { cacheDir, make } = await setup('single', { repeats: 2 });
    const countFiles = async (): Promise<number> => {
      let n = 0;
      for (const dir of await readdir(cacheDir).catch(() => [] as string[])) n += (await readdir(join(cacheDir, dir))).length;
      return n;
    };
    const cachedBefore = await countFiles();
    const before = server.requests.length;
    const summary = await new JudgeRunner().run({ ...make(), judge: new SingleJudge({ provider: make().provider, calls: make().calls, model: 'judge-repeats', retries: 0 }) });
    const made = server.requests.length - before;
    // 4 items x 2 models x 2 repeats, no retries.
    expect(made).toBe(16);
    expect((await countFiles()) - cachedBefore).toBe(16);
    expect(summary.results.judges[0]!.repeats).toBe(2);
  });

  it('plans a dry run: calls, cache hits and tokens, without calls', async () => {
    const { make } = await setup('batched');
    const options = make();
    const before = server.requests.length;
    const judge = new BatchedJudge({ provider: options.provider, calls: options.calls, model: 'never-called' });
    const plan = await planJudgeRun({ ...options, judge });
    expect(server.requests.length).toBe(before);
    expect(plan).toMatchObject({ items: 4, models: 2, judgmentsToDo: 4, calls: 4, cachedCalls: 0, estimatedCostUsd: null });
    expect(plan.estimatedTokens.prompt).toBeGreaterThan(4 * 200);
    const priced = await planJudgeRun({ ...options, judge, prices: { 'openai:never-called': { input: 1, output: 2 } } });
    expect(priced.estimatedCostUsd).toBeCloseTo((plan.estimatedTokens.prompt * 1 + plan.estimatedTokens.completion * 2) / 1e6, 12);
    // Once judged, the same plan finds every call in the cache.
    await new JudgeRunner().run({ ...options, judge });
    const { make: fresh } = await setup('batched');
    expect(await planJudgeRun({ ...fresh(), judge })).toMatchObject({ calls: 4, cachedCalls: 4, estimatedTokens: { prompt: 0 } });
  });

  it.each(['anthropic', 'responses'] as const)('runs through the %s path', async (provider) => {
    const { make } = await setup('batched', {}, provider);
    const before = server.requests.length;
    const summary = await new JudgeRunner().run(make());
    expect(server.requests.slice(before).every((r) => r.api === (provider === 'anthropic' ? 'anthropic' : 'responses'))).toBe(true);
    expect(summary.results.models.map((m) => m.score)).toEqual([17.5, 47.5]);
  });

  it('stops on an abort without logging the cut-short judgments, and a rerun finishes', async () => {
    server.setScript(async (request) => ({ delayMs: 300, text: script(request) }));
    try {
      const { outDir, make } = await setup('batched');
      const controller = new AbortController();
      const judge = new BatchedJudge({ provider: make().provider, calls: make().calls, model: 'judge-abort', retries: 1 });
      setTimeout(() => controller.abort(new Error('interrupted')), 100);
      const stopped = await new JudgeRunner().run({ ...make(), judge, signal: controller.signal });
      expect(stopped.interrupted).toBe(true);
      expect(stopped.newJudgments).toBe(0);
      expect(await readFile(join(outDir, 'judgments.jsonl'), 'utf8').catch(() => '')).toBe('');
      const finished = await new JudgeRunner().run({ ...make(), judge });
      expect(finished.interrupted).toBe(false);
      expect(finished.results.models.map((m) => m.score)).toEqual([17.5, 47.5]);
    } finally {
      server.setScript(script);
    }
  });

  it('writes no API key into the run directory or the cache', async () => {
    const { outDir, cacheDir, make } = await setup('batched');
    await new JudgeRunner().run(make());
    const files: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) await walk(join(dir, entry.name));
        else files.push(join(dir, entry.name));
      }
    };
    await walk(outDir);
    await walk(cacheDir);
    expect(files.length).toBeGreaterThan(8);
    for (const file of files) expect(await readFile(file, 'utf8'), file).not.toContain('SECRET');
  });
});

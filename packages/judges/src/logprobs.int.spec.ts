// Score distributions from token log-probabilities: the single judge asks the fake server (OpenAI's wire format,
// the real `openai` SDK) for logprobs, records each judgment's distribution and expected score, and results.json
// and results.md carry the per-model mean expected score. Anthropic has none: the option is refused.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeLog, DiskCache, JudgeCallRunner, JudgeRunner, loadAnswerFiles, singlePromptAnswer, type JudgmentRecord, type ModelAnswers, type RunResults } from '@judgekit/core';
import { AnthropicProvider } from './providers/anthropic-provider.js';
import { OpenAiProvider } from './providers/openai-provider.js';
import { SingleJudge } from './single-judge.js';
import { startFakeLlmServer, type FakeLlmServer, type FakeReply } from './testing/index.js';

let server: FakeLlmServer;
let root: string;
let answers: ModelAnswers[];
const worth = (answer: string): number => Number(/worth (\d+)/.exec(answer)?.[1] ?? -1);

/** The sampled score is the answer's worth with probability 0.6; worth + 10 has 0.3 and the word "I" 0.1. */
function script(request: { prompt: string; body: Record<string, unknown> }): FakeReply {
  const score = worth(singlePromptAnswer(request.prompt) ?? '');
  if (score === 77) {
    // A tokenizer that splits digits: "7", "7".
    return { text: '77', logprobs: [{ token: '7', logprob: Math.log(0.9), top: [{ token: '7', logprob: Math.log(0.9) }, { token: '8', logprob: Math.log(0.1) }] }, { token: '7', logprob: 0, top: [{ token: '7', logprob: 0 }] }] };
  }
  return {
    text: String(score),
    logprobs: [{ token: String(score), logprob: Math.log(0.6), top: [{ token: String(score), logprob: Math.log(0.6) }, { token: String(score + 10), logprob: Math.log(0.3) }, { token: 'I', logprob: Math.log(0.1) }] }],
  };
}

async function writeAnswers(dir: string, name: string, scores: number[]): Promise<string> {
  const file = join(dir, `${name}-ift-test-results.json`);
  await writeFile(file, JSON.stringify(scores.map((score, index) => ({ instruction: `Task ${index}`, input: '', output: `out ${index}`, model_response: `answer worth ${score}` }))));
  return file;
}

beforeAll(async () => {
  server = await startFakeLlmServer(script);
  root = await mkdtemp(join(tmpdir(), 'judgekit-logprobs-'));
  answers = await loadAnswerFiles([await writeAnswers(root, 'alpha', [10, 20, 30, 40]), await writeAnswers(root, 'beta', [50, 60, 77, 80])]);
});
afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

function judgeRun(outDir: string) {
  const provider = new OpenAiProvider({ env: { OPENAI_API_KEY: 'sk-test' }, baseURL: server.openaiBaseURL });
  const calls = new JudgeCallRunner({ cache: new DiskCache(join(root, 'cache')), concurrency: 2 });
  const judge = new SingleJudge({ provider, calls, model: 'judge-logprobs', retries: 0, logprobs: true });
  return { answers, judge, calls, provider, outDir };
}

describe('logprob score distributions', () => {
  it('sends logprobs with top_logprobs 20, records each distribution and puts the mean expected score beside the sampled one', async () => {
    const outDir = join(root, 'run');
    const before = server.requests.length;
    const summary = await new JudgeRunner().run(judgeRun(outDir));
    const sent = server.requests.slice(before);
    expect(sent).toHaveLength(8);
    expect(sent.every((request) => request.body.logprobs === true && request.body.top_logprobs === 20)).toBe(true);

    const log = decodeLog<JudgmentRecord>(await readFile(join(outDir, 'judgments.jsonl'), 'utf8'));
    const first = [...log.entries.values()].find((record) => record.index === 0) as JudgmentRecord;
    // 0.6 and 0.3 of the mass on 10 and 20 ("I" is not a score): renormalised 2/3 and 1/3, expected 13.33.
    expect(first.scores[0]).toEqual({ model: 'alpha', score: 10, reply: expect.any(String), distribution: { expected: expect.closeTo(10 + 10 / 3, 9), mass: expect.closeTo(0.9, 9), probabilities: { '10': expect.closeTo(2 / 3, 9), '20': expect.closeTo(1 / 3, 9) } } });
    const split = [...log.entries.values()].find((record) => record.index === 2) as JudgmentRecord;
    expect(split.scores[1]?.score).toBe(77);
    expect(split.scores[1]?.distribution).toEqual({ unavailable: expect.stringContaining('spans 2 tokens') });

    const results = JSON.parse(await readFile(join(outDir, 'results.json'), 'utf8')) as RunResults;
    const alpha = results.models.find((m) => m.name === 'alpha');
    const beta = results.models.find((m) => m.name === 'beta');
    // alpha: every item's expected score is its worth + 10/3; beta: item 2 has no distribution, the rest worth + 10/3.
    expect(alpha?.score).toBe(25);
    expect(alpha?.expected?.score).toBeCloseTo(25 + 10 / 3, 9);
    expect(alpha?.judges?.['single']?.expected?.judgments).toBe(4);
    expect(beta?.expected?.score).toBeCloseTo((50 + 60 + 80) / 3 + 10 / 3, 9);
    expect(beta?.expected?.items).toBe(3);
    expect(summary.markdown).toContain('Expected score from token log-probabilities');
    expect(await readFile(join(outDir, 'results.md'), 'utf8')).toMatch(/\| alpha \| 25\.00 \| 28\.33 \|/);
  });

  it('keeps the distributions in the call cache: a fresh run directory makes no requests and records the same expected scores', async () => {
    const before = server.requests.length;
    const summary = await new JudgeRunner().run(judgeRun(join(root, 'again')));
    expect(server.requests.length - before).toBe(0);
    expect(summary.results.models[0]?.expected?.score).toBeCloseTo(25 + 10 / 3, 9);
  });

  it('refuses logprobs with a provider that has none (Anthropic), naming the option and the provider', () => {
    const provider = new AnthropicProvider({ env: { ANTHROPIC_API_KEY: 'sk-ant-test' }, baseURL: server.anthropicBaseURL });
    const calls = new JudgeCallRunner();
    expect(() => new SingleJudge({ provider, calls, model: 'claude', logprobs: true })).toThrow(/logprobs: true .*provider anthropic does not return.*Anthropic's API has none/);
    const responses = new OpenAiProvider({ env: { OPENAI_API_KEY: 'sk-test' }, baseURL: server.openaiBaseURL, api: 'responses' });
    expect(() => new SingleJudge({ provider: responses, calls, model: 'gpt', logprobs: true })).toThrow(/provider openai \(api responses\) does not return/);
  });
});

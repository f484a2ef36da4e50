// Rate limits through the real SDKs and the JudgeRunner: every 429 reaches judgekit (the SDKs do not retry it
// themselves), judges sharing an endpoint's limiter stay within its in-flight cap together, a limited run
// backs off on 429s yet judges everything, and the progress line shows the current limit.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdaptiveLimiter, JudgeCallRunner, JudgeRunner, loadAnswerFiles, MemoryCache, type ModelAnswers } from '@judgekit/core';
import { BatchedJudge } from './batched-judge.js';
import { AnthropicProvider } from './providers/anthropic-provider.js';
import { OpenAiProvider } from './providers/openai-provider.js';
import { SingleJudge } from './single-judge.js';
import { batchedReplyFor, rateLimitedScript, singlePromptAnswer, startFakeLlmServer, type FakeLlmServer, type FakeScript } from './testing/index.js';

const KEY = 'sk-test-SECRET-abc123';
const worth = (answer: string): number => Number(/worth (\d+)/.exec(answer)?.[1] ?? -1);
const answer: FakeScript = (request) => (request.prompt.startsWith('Given the input') ? String(worth(singlePromptAnswer(request.prompt) ?? '')) : batchedReplyFor(request.prompt, worth));

let server: FakeLlmServer;
let root: string;
let answers: ModelAnswers[];

beforeAll(async () => {
  server = await startFakeLlmServer(answer);
  root = await mkdtemp(join(tmpdir(), 'judgekit-rate-limit-'));
  const files: string[] = [];
  for (const [name, offset] of [['alpha', 0], ['beta', 50]] as const) {
    const file = join(root, `${name}-ift-test-results.json`);
    await writeFile(file, JSON.stringify(Array.from({ length: 12 }, (_, i) => ({ instruction: `Task ${i}`, input: '', output: `out ${i}`, model_response: `answer worth ${offset + i}` }))));
    files.push(file);
  }
  answers = await loadAnswerFiles(files);
});
afterAll(async () => {
  await server.close();
});

/** Wrap a script to record the most requests the server held at once. */
function countingInFlight(inner: FakeScript, delayMs: number): { script: FakeScript; most: () => number } {
  let inFlight = 0;
  let most = 0;
  return {
    script: async (request) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      inFlight--;
      return inner(request);
    },
    most: () => most,
  };
}

function capture(): { stream: NodeJS.WriteStream; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => text };
}

describe('rate limits', () => {
  it.each(['openai', 'anthropic'] as const)('the %s provider sends a rate-limited request once and passes retry-after-ms on, so the limiter sees every 429', async (vendor) => {
    server.setScript(() => ({ status: 429, retryAfter: '1', headers: { 'retry-after-ms': '7' } }));
    try {
      const before = server.requests.length;
      const provider = vendor === 'openai' ? new OpenAiProvider({ env: { OPENAI_API_KEY: KEY }, baseURL: server.openaiBaseURL }) : new AnthropicProvider({ env: { ANTHROPIC_API_KEY: KEY }, baseURL: server.anthropicBaseURL });
      const response = await provider.complete({ model: 'm', messages: [{ role: 'user', content: 'hello' }] });
      expect(server.requests.length - before).toBe(1);
      expect(response.error).toMatchObject({ kind: 'rate-limit', status: 429, retryAfterMs: 7 });
    } finally {
      server.setScript(answer);
    }
  });

  it('judges sharing one endpoint limiter keep at most its maxInFlight calls at the server together', async () => {
    const counting = countingInFlight(answer, 15);
    server.setScript(counting.script);
    try {
      const provider = new OpenAiProvider({ env: { OPENAI_API_KEY: KEY }, baseURL: server.openaiBaseURL });
      const limiter = new AdaptiveLimiter({ maxInFlight: 3, initialLimit: 3 });
      // Each judge alone would allow 8 calls in flight.
      const single = new JudgeCallRunner({ cache: new MemoryCache(), concurrency: 8, limiter });
      const batched = new JudgeCallRunner({ cache: new MemoryCache(), concurrency: 8, limiter });
      const [a, b] = await Promise.all([
        new JudgeRunner().run({ answers, judge: new SingleJudge({ provider, calls: single, model: 'j' }), calls: single, outDir: join(root, 'shared-single'), itemsInFlight: 10, progress: { enabled: false } }),
        new JudgeRunner().run({ answers, judge: new BatchedJudge({ provider, calls: batched, model: 'j' }), calls: batched, outDir: join(root, 'shared-batched'), itemsInFlight: 10, progress: { enabled: false } }),
      ]);
      expect(single.stats.calls + batched.stats.calls).toBe(24 + 12);
      expect(counting.most()).toBe(3);
      expect([a.results.models.map((m) => m.scored), b.results.models.map((m) => m.scored)]).toEqual([[12, 12], [12, 12]]);
    } finally {
      server.setScript(answer);
    }
  });

  it('a limited run against a server refusing bursts backs off on its 429s, judges every item, and shows the limit on the progress line', async () => {
    // 600 requests a minute with a burst of 2: a run starting at 8 in flight is refused at once.
    const limited = rateLimitedScript(answer, { requestsPerMinute: 600, burst: 2 });
    server.setScript(limited.script);
    try {
      const provider = new OpenAiProvider({ env: { OPENAI_API_KEY: KEY }, baseURL: server.openaiBaseURL });
      const limiter = new AdaptiveLimiter({ maxInFlight: 8, initialLimit: 8 });
      const calls = new JudgeCallRunner({ cache: new MemoryCache(), concurrency: 8, limiter, transportRetries: 50 });
      const progress = capture();
      const summary = await new JudgeRunner().run({ answers, judge: new SingleJudge({ provider, calls, model: 'j' }), calls, outDir: join(root, 'limited'), itemsInFlight: 10, progress: { stream: progress.stream, enabled: true } });
      expect(summary.results.models.map((m) => m.scored)).toEqual([12, 12]);
      expect(limited.served).toBe(24);
      expect(limited.rejected).toBeGreaterThan(0);
      expect(calls.stats.retries).toBe(limited.rejected);
      expect(limiter.overloads).toBeGreaterThan(0);
      expect(progress.text()).toMatch(/judge single \d+\/12 judgments \|.*\| limit \d+\/8( \(~\d+ rpm learned\))?, \d+ backoffs?/);
    } finally {
      server.setScript(answer);
    }
  });
});

// The real OpenAI and Anthropic SDKs against the local fake server: wire formats, error mapping, retries,
// Retry-After and timeouts through the JudgeCallRunner.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JudgeCallRunner, JudgekitError, MemoryCache } from '@judgekit/core';
import { startFakeLlmServer, type FakeLlmServer } from '../testing/index.js';
import { AnthropicProvider } from './anthropic-provider.js';
import { OpenAiProvider } from './openai-provider.js';

const KEY = 'sk-test-SECRET-abc123';
let server: FakeLlmServer;

beforeAll(async () => {
  server = await startFakeLlmServer();
});
afterAll(async () => {
  await server.close();
});

const request = { model: 'judge-model', messages: [{ role: 'user' as const, content: 'score this' }], temperature: 0, seed: 7, maxTokens: 16 };

describe('OpenAI provider', () => {
  it('speaks Chat Completions through the SDK, with the key as bearer token and usage read back', async () => {
    server.setScript(() => ({ text: '85', usage: { prompt: 11, completion: 2 } }));
    const before = server.requests.length;
    const provider = new OpenAiProvider({ env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.openaiBaseURL } });
    const response = await provider.complete(request);
    expect(response).toMatchObject({ output: '85', tokenUsage: { prompt: 11, completion: 2 } });
    const seen = server.requests[before]!;
    expect(seen.api).toBe('chat');
    expect(seen.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(seen.body).toMatchObject({ model: 'judge-model', temperature: 0, seed: 7, max_tokens: 16 });
    expect(seen.body.response_format).toBeUndefined();
    expect(provider.cacheIdentity).toEqual({ baseURL: server.openaiBaseURL, api: 'chat', structuredOutput: false });
  });

  it('sends json_schema response_format when structured output is on', async () => {
    server.setScript(() => '{}');
    const before = server.requests.length;
    const provider = new OpenAiProvider({ env: { OPENAI_API_KEY: KEY }, baseURL: server.openaiBaseURL, structuredOutput: true });
    await provider.complete({ ...request, responseSchema: { name: 'model_scores', schema: { type: 'object' } } });
    expect(server.requests[before]!.body.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'model_scores', schema: { type: 'object' }, strict: true } });
  });

  it('drops structured output for an endpoint that rejects it, and asks again once', async () => {
    server.setScript((r) => (r.body.response_format ? { status: 400, errorMessage: "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model." } : '{"ok": 1}'));
    const before = server.requests.length;
    const provider = new OpenAiProvider({ env: { OPENAI_API_KEY: KEY }, baseURL: server.openaiBaseURL, structuredOutput: true });
    const withSchema = { ...request, responseSchema: { name: 's', schema: { type: 'object' } } };
    expect(await provider.complete(withSchema)).toMatchObject({ output: '{"ok": 1}' });
    expect(await provider.complete(withSchema)).toMatchObject({ output: '{"ok": 1}' });
    expect(server.requests.slice(before).map((r) => r.body.response_format !== undefined)).toEqual([true, false, false]);
    expect(provider.schemaRejected).toBe(true);
  });

  it('speaks the Responses API', async () => {
    server.setScript(() => ({ text: '{"Model 1": {"score": 3}}', usage: { prompt: 20, completion: 9 } }));
    const before = server.requests.length;
    const provider = new OpenAiProvider({ api: 'responses', structuredOutput: true, env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.openaiBaseURL } });
    const response = await provider.complete({ ...request, responseSchema: { name: 's', schema: { type: 'object' } } });
    expect(response).toMatchObject({ output: '{"Model 1": {"score": 3}}', tokenUsage: { prompt: 20, completion: 9 } });
    const seen = server.requests[before]!;
    expect(seen.api).toBe('responses');
    expect(seen.body).toMatchObject({ model: 'judge-model', max_output_tokens: 16, input: [{ role: 'user', content: 'score this' }], text: { format: { type: 'json_schema', name: 's', strict: true } } });
  });

  it('refuses to start without a key for api.openai.com, with what to do', () => {
    expect(() => new OpenAiProvider({ env: {} })).toThrowError(/OPENAI_API_KEY is not set/);
    expect(() => new OpenAiProvider({ env: {} })).toThrowError(JudgekitError);
    expect(new OpenAiProvider({ env: { OPENAI_BASE_URL: server.openaiBaseURL } }).baseURL).toBe(server.openaiBaseURL);
  });

  it.each([
    [429, 'rate-limit'],
    [500, 'server'],
    [503, 'server'],
    [401, 'auth'],
    [400, 'bad-request'],
  ])('maps HTTP %d to %s, with Retry-After', async (status, kind) => {
    server.setScript(() => ({ status, retryAfter: '2' }));
    const provider = new OpenAiProvider({ env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.openaiBaseURL } });
    const response = await provider.complete(request);
    expect(response.output).toBeUndefined();
    expect(response.error).toMatchObject({ kind, status, retryAfterMs: 2000 });
  });
});

describe('Anthropic provider', () => {
  it('speaks Messages through the SDK with the key, system split out', async () => {
    server.setScript(() => ({ text: '42', usage: { prompt: 30, completion: 1 } }));
    const before = server.requests.length;
    const provider = new AnthropicProvider({ env: { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: server.anthropicBaseURL } });
    const response = await provider.complete({ ...request, messages: [{ role: 'system', content: 'be fair' }, ...request.messages] });
    expect(response).toMatchObject({ output: '42', tokenUsage: { prompt: 30, completion: 1 } });
    const seen = server.requests[before]!;
    expect(seen.api).toBe('anthropic');
    // SDK versions differ: x-api-key or a bearer token.
    expect(String(seen.headers['x-api-key'] ?? seen.headers.authorization)).toContain(KEY);
    expect(seen.body).toMatchObject({ model: 'judge-model', max_tokens: 16, system: 'be fair', temperature: 0, messages: [{ role: 'user', content: 'score this' }] });
  });

  it('needs ANTHROPIC_API_KEY', () => {
    expect(() => new AnthropicProvider({ env: {} })).toThrowError(/ANTHROPIC_API_KEY is not set/);
  });

  it('maps a 529 overload to a server error', async () => {
    server.setScript(() => ({ status: 529 }));
    const provider = new AnthropicProvider({ env: { ANTHROPIC_API_KEY: KEY }, baseURL: server.anthropicBaseURL });
    expect((await provider.complete(request)).error).toMatchObject({ kind: 'server', status: 529 });
  });
});

describe('JudgeCallRunner over the real SDKs', () => {
  const openai = (): OpenAiProvider => new OpenAiProvider({ env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.openaiBaseURL } });

  it('waits out Retry-After on 429, then succeeds', async () => {
    let n = 0;
    server.setScript(() => (n++ === 0 ? { status: 429, retryAfter: '1' } : '77'));
    const before = server.requests.length;
    const calls = new JudgeCallRunner({ backoff: { baseMs: 10 } });
    const outcome = await calls.complete(openai(), request, { repeat: 0 });
    expect(outcome).toMatchObject({ output: '77', requests: 2 });
    const [first, second] = server.requests.slice(before);
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(990);
    expect(calls.stats).toMatchObject({ calls: 1, requests: 2, retries: 1 });
  });

  it('retries a 500 then succeeds, with backoff', async () => {
    let n = 0;
    server.setScript(() => (n++ === 0 ? { status: 500 } : '12'));
    const before = server.requests.length;
    const calls = new JudgeCallRunner({ backoff: { baseMs: 100, random: () => 1 } });
    expect(await calls.complete(openai(), request, { repeat: 0 })).toMatchObject({ output: '12', requests: 2 });
    const [first, second] = server.requests.slice(before);
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(95);
  });

  it('gives up after the transport retries and reports the last error', async () => {
    server.setScript(() => ({ status: 503 }));
    const calls = new JudgeCallRunner({ transportRetries: 2, backoff: { baseMs: 1 } });
    const outcome = await calls.complete(openai(), request, { repeat: 0 });
    expect(outcome.error).toMatchObject({ kind: 'server', status: 503 });
    expect(outcome.requests).toBe(3);
  });

  it('records a hanging request as a timeout', async () => {
    server.setScript(() => ({ hang: true }));
    const calls = new JudgeCallRunner({ timeoutMs: 300, transportRetries: 1, backoff: { baseMs: 1 } });
    const started = performance.now();
    const outcome = await calls.complete(openai(), request, { repeat: 0 });
    expect(outcome.error).toMatchObject({ kind: 'timeout' });
    expect(outcome.requests).toBe(2);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('caches by content: the same call again makes no request; another repeat does', async () => {
    server.setScript(() => '66');
    const cache = new MemoryCache();
    const calls = new JudgeCallRunner({ cache });
    const before = server.requests.length;
    await calls.complete(openai(), request, { repeat: 0 });
    const again = await calls.complete(openai(), request, { repeat: 0 });
    expect(again).toMatchObject({ output: '66', cached: true, requests: 0 });
    await calls.complete(openai(), request, { repeat: 1 });
    expect(server.requests.length - before).toBe(2);
  });

  it('works through the Anthropic SDK too (429 then success)', async () => {
    let n = 0;
    server.setScript(() => (n++ === 0 ? { status: 429, retryAfter: '0' } : '9'));
    const calls = new JudgeCallRunner({ backoff: { baseMs: 1 } });
    const provider = new AnthropicProvider({ env: { ANTHROPIC_API_KEY: KEY }, baseURL: server.anthropicBaseURL });
    expect(await calls.complete(provider, request, { repeat: 0 })).toMatchObject({ output: '9', requests: 2 });
  });
});

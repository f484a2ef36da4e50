// The OpenAI Batch API (files + batches) and Anthropic Message Batches through the real SDKs against the local
// fake batch server: submit, poll while in progress, results (succeeded, failed, expired), cancel and list, and
// splitting under small limits.
import { isBatchCapable, splitIntoBatches, type BatchCapableProvider, type BatchRequest } from '@judgekit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeBatchServer, type FakeBatchServer } from './testing/index.js';
import { AnthropicProvider } from './providers/anthropic-provider.js';
import { OpenAiProvider } from './providers/openai-provider.js';

const KEY = 'sk-batch-test-SECRET-123';
let server: FakeBatchServer;

beforeAll(async () => {
  server = await startFakeBatchServer();
});
afterAll(async () => {
  await server.close();
});

function requests(n: number, tag: string): BatchRequest[] {
  return Array.from({ length: n }, (_, i) => ({ customId: `${tag}_${i}`, request: { model: 'judge-model', messages: [{ role: 'user' as const, content: `prompt ${tag} ${i}` }], temperature: 0, maxTokens: 8 } }));
}

const providers: Array<[string, () => BatchCapableProvider]> = [
  ['openai', () => new OpenAiProvider({ env: { OPENAI_API_KEY: KEY }, baseURL: server.openaiBaseURL })],
  ['anthropic', () => new AnthropicProvider({ env: { ANTHROPIC_API_KEY: KEY }, baseURL: server.anthropicBaseURL })],
];

describe.each(providers)('%s batch API through the SDK', (name, make) => {
  it('is a batch-capable provider with the vendor limits per batch', () => {
    const provider = make();
    expect(isBatchCapable(provider)).toBe(true);
    expect(provider.batch.limits).toEqual(name === 'openai' ? { maxRequests: 50_000, maxBytes: 200 * 1024 * 1024 } : { maxRequests: 100_000, maxBytes: 256 * 1024 * 1024 });
  });

  it('submits a batch that stays in progress for the held polls, then returns every reply by custom id with usage', async () => {
    const provider = make();
    server.setHoldPolls(2);
    server.setScript((request) => ({ text: `reply to ${request.prompt}`, usage: { prompt: 7, completion: 3 } }));
    const created = await provider.batch.submit(requests(3, `${name}ok`));
    expect(created.done).toBe(false);
    const batch = server.batches.find((candidate) => candidate.id === created.id)!;
    expect(batch.requests.map((request) => request.customId)).toEqual([`${name}ok_0`, `${name}ok_1`, `${name}ok_2`]);
    expect(batch.requests[0]!.body).toMatchObject({ model: 'judge-model', temperature: 0 });
    expect((await provider.batch.retrieve(created.id)).done).toBe(false);
    expect((await provider.batch.retrieve(created.id)).done).toBe(false);
    const finished = await provider.batch.retrieve(created.id);
    expect(finished).toMatchObject({ done: true, status: name === 'openai' ? 'completed' : 'ended', counts: { total: 3, succeeded: 3, failed: 0 } });
    const results = await provider.batch.results(created.id);
    expect(results.map((result) => [result.customId, result.response.output, result.response.tokenUsage])).toEqual([0, 1, 2].map((i) => [`${name}ok_${i}`, `reply to prompt ${name}ok ${i}`, { prompt: 7, completion: 3 }]));
    if (name === 'openai') expect(server.files.get(server.files.size > 0 ? [...server.files.keys()][0]! : '')?.purpose).toBe('batch');
  });

  it('reports a failed and an expired request as errors, and the others as replies', async () => {
    const provider = make();
    server.setHoldPolls(0);
    server.setScript((request) => (request.customId.endsWith('_1') ? { fail: { status: 400, message: 'bad prompt' } } : request.customId.endsWith('_2') ? { expire: true } : '42'));
    const created = await provider.batch.submit(requests(3, `${name}mixed`));
    const finished = await provider.batch.retrieve(created.id);
    expect(finished.done).toBe(true);
    const results = new Map((await provider.batch.results(created.id)).map((result) => [result.customId, result.response]));
    expect(results.get(`${name}mixed_0`)).toMatchObject({ output: '42' });
    expect(results.get(`${name}mixed_1`)?.error).toMatchObject({ kind: 'bad-request' });
    expect(results.get(`${name}mixed_1`)?.error?.message).toContain('bad prompt');
    expect(results.get(`${name}mixed_2`)?.error).toMatchObject({ kind: 'timeout' });
    expect(results.get(`${name}mixed_2`)?.error?.message).toMatch(/expired/);
  });

  it('cancels a batch in progress (its requests come back cancelled) and lists the batches', async () => {
    const provider = make();
    server.setHoldPolls(Infinity);
    server.setScript(() => '1');
    const created = await provider.batch.submit(requests(2, `${name}cancel`));
    const cancelling = await provider.batch.cancel(created.id);
    expect(cancelling.status).toBe(name === 'openai' ? 'cancelling' : 'canceling');
    const ended = await provider.batch.retrieve(created.id);
    expect(ended).toMatchObject({ done: true, status: name === 'openai' ? 'cancelled' : 'ended' });
    const results = await provider.batch.results(created.id);
    expect(results).toHaveLength(2);
    expect(results.every((result) => result.response.error !== undefined && result.response.output === undefined)).toBe(true);
    const listed = await (provider.batch as unknown as { list(): Promise<Array<{ id: string }>> }).list();
    expect(listed.map((batch) => batch.id)).toContain(created.id);
    server.setHoldPolls(1);
  });

  it('finds a submitted batch again by its label where the provider keeps metadata (OpenAI), and has no lookup where it does not (Anthropic)', async () => {
    const provider = make();
    server.setHoldPolls(1);
    const created = await provider.batch.submit(requests(1, `${name}label`), { label: `judgekit test ${name} label` });
    if (name === 'openai') {
      expect((await provider.batch.find!(`judgekit test ${name} label`))?.id).toBe(created.id);
      expect(await provider.batch.find!('judgekit no such label')).toBeUndefined();
    } else {
      expect(provider.batch.find).toBeUndefined();
    }
  });

  it('splits requests into several batches under small request and byte limits, keeping their order', () => {
    const provider = make();
    const all = requests(7, `${name}split`);
    const byCount = splitIntoBatches(all, (request) => provider.batch.encodedSize(request), { maxRequests: 3, maxBytes: 1e9 });
    expect(byCount.map((chunk) => chunk.length)).toEqual([3, 3, 1]);
    const size = provider.batch.encodedSize(all[0]!);
    const byBytes = splitIntoBatches(all, (request) => provider.batch.encodedSize(request), { maxRequests: 100, maxBytes: 2 * size + 2 });
    expect(byBytes.map((chunk) => chunk.length)).toEqual([2, 2, 2, 1]);
    expect(byBytes.flat().map((request) => request.customId)).toEqual(all.map((request) => request.customId));
  });
});

describe('OpenAI batch that fails validation', () => {
  it('is done with the validation error and no results, so every request counts as failed', async () => {
    const failing = await startFakeBatchServer({ failBatches: 'line 1: model not found' });
    try {
      const provider = new OpenAiProvider({ env: { OPENAI_API_KEY: KEY }, baseURL: failing.openaiBaseURL });
      const created = await provider.batch.submit(requests(2, 'invalid'));
      const finished = await provider.batch.retrieve(created.id);
      expect(finished).toMatchObject({ done: true, status: 'failed' });
      expect(finished.error).toContain('model not found');
      expect(await provider.batch.results(created.id)).toEqual([]);
    } finally {
      await failing.close();
    }
  });
});

// The batch executor against an in-memory batch provider: a batch whose id was lost to a kill right after its
// creation is found by its label (not submitted again) where the provider keeps labels, and submitted again with a
// notice where it does not; batches.json is written before polling; the judge run afterwards makes no live call;
// every downloaded result is in spend.jsonl once, at the batch price, however often it is downloaded.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BatchCapableProvider, BatchInfo, BatchRequest, BatchResult } from '../../contracts/batch-provider.js';
import type { ChatRequest, ChatResponse } from '../../contracts/chat-model-provider.js';
import type { JudgeItemInput, JudgeItemResult, PlannableJudge } from '../../contracts/judge.js';
import { MemoryCache } from '../../run/disk-cache.js';
import { askJudgeModel } from './ask-judge-model.js';
import { executeBatches, type BatchState } from './batch-execution.js';
import { JudgeCallRunner } from './judge-call-runner.js';
import { JudgeRunner, type JudgeRunOptions } from './judge-runner.js';
import { costUsd } from './price-table.js';

interface StoredBatch {
  id: string;
  label?: string;
  requests: BatchRequest[];
  polls: number;
}

/** Batches answered with the prompt's length after one poll; `keepsLabels` adds `find`. */
function memoryBatchProvider(store: StoredBatch[], options: { keepsLabels: boolean; killAfterSubmit?: boolean; failPrompt?: string }): BatchCapableProvider & { live: number } {
  const info = (batch: StoredBatch): BatchInfo => ({ id: batch.id, status: batch.polls > 0 ? 'completed' : 'in_progress', done: batch.polls > 0 });
  const provider = {
    id: 'memory',
    cacheIdentity: { memory: true },
    live: 0,
    async complete(request: ChatRequest): Promise<ChatResponse> {
      provider.live++;
      return { output: String(request.messages[0]!.content.length % 101), tokenUsage: { prompt: 1, completion: 1 }, latencyMs: 0 };
    },
    batch: {
      limits: { maxRequests: 2, maxBytes: 1e9 },
      encodedSize: () => 10,
      async submit(requests: readonly BatchRequest[], submitOptions: { label?: string } = {}): Promise<BatchInfo> {
        const batch: StoredBatch = { id: `mem_${store.length + 1}`, requests: [...requests], polls: 0, ...(submitOptions.label ? { label: submitOptions.label } : {}) };
        store.push(batch);
        // The process dies after the provider created the batch, before batches.json got its id.
        if (options.killAfterSubmit) throw new Error('killed after submit');
        return info(batch);
      },
      async retrieve(id: string): Promise<BatchInfo> {
        const batch = store.find((candidate) => candidate.id === id)!;
        batch.polls++;
        return info(batch);
      },
      async results(id: string): Promise<BatchResult[]> {
        const batch = store.find((candidate) => candidate.id === id)!;
        return batch.requests.map((request) =>
          options.failPrompt && request.request.messages[0]!.content.includes(options.failPrompt)
            ? { customId: request.customId, response: { error: { kind: 'server' as const, message: 'batch request failed' }, tokenUsage: { prompt: 0, completion: 0 }, latencyMs: 0 } }
            : { customId: request.customId, response: { output: String(request.request.messages[0]!.content.length % 101), tokenUsage: { prompt: 3, completion: 1 }, latencyMs: 0 } },
        );
      },
      async cancel(id: string): Promise<BatchInfo> {
        return info(store.find((candidate) => candidate.id === id)!);
      },
      ...(options.keepsLabels ? { find: async (label: string) => { const batch = store.find((candidate) => candidate.label === label); return batch ? info(batch) : undefined; } } : {}),
    },
  };
  return provider;
}

/** A single judge: one call per answer, the reply read as an integer score. */
function lengthJudge(provider: BatchCapableProvider, calls: JudgeCallRunner): PlannableJudge {
  const requestFor = (input: JudgeItemInput, response: string): ChatRequest => ({ model: 'm', messages: [{ role: 'user', content: `score ${input.record.instruction}: ${response}` }] });
  return {
    mode: 'single',
    description: { mode: 'single', provider: provider.id, model: 'm' },
    plannedRequests: (input) => input.answers.map((answer) => requestFor(input, answer.response)),
    async scoreItem(input): Promise<JudgeItemResult> {
      const totals: JudgeItemResult = { index: input.index, repeat: input.repeat, scores: [], calls: 0, cachedCalls: 0, tokenUsage: { prompt: 0, completion: 0 }, attempts: 0 };
      for (const answer of input.answers) {
        const asked = await askJudgeModel({ calls, provider, request: requestFor(input, answer.response), repeat: input.repeat, retries: 1, parse: (reply): { value: number } | { error: string } => (/^\d+$/.test(reply) ? { value: Number(reply) } : { error: 'not a number' }) }, totals);
        totals.scores.push('value' in asked ? { model: answer.model, score: asked.value } : { model: answer.model, score: null, failure: asked.failure });
      }
      return totals;
    },
  };
}

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function setup(provider: BatchCapableProvider, cache: MemoryCache): Promise<JudgeRunOptions> {
  const outDir = await mkdtemp(join(tmpdir(), 'judgekit-batch-exec-'));
  dirs.push(outDir);
  const calls = new JudgeCallRunner({ cache });
  const records = Array.from({ length: 3 }, (_, i) => ({ instruction: `task ${i}`, input: '', output: `ref ${i}`, model_response: `answer ${'x'.repeat(i)}` }));
  return { answers: [{ name: 'alpha', records }], judge: lengthJudge(provider, calls), outDir, calls, provider, progress: { enabled: false } };
}

describe('executeBatches', () => {
  it('finds a batch whose id was lost to a kill right after its creation by its label, instead of submitting it again', async () => {
    const store: StoredBatch[] = [];
    const cache = new MemoryCache();
    const run = await setup(memoryBatchProvider(store, { keepsLabels: true, killAfterSubmit: true }), cache);
    await expect(executeBatches({ run, cache, pollMs: 1 })).rejects.toThrow('killed after submit');
    const orphaned = JSON.parse(await readFile(join(run.outDir, 'batches.json'), 'utf8')) as BatchState;
    expect(orphaned.batches.map((entry) => [entry.id, entry.status, entry.keys.length])).toEqual([[undefined, 'submitting', 2]]);

    const provider = memoryBatchProvider(store, { keepsLabels: true });
    const notices: string[] = [];
    const rerun = { ...run, provider, judge: lengthJudge(provider, run.calls as JudgeCallRunner) };
    const summary = await executeBatches({ run: rerun, cache, pollMs: 1, notify: (message) => notices.push(message) });
    // The lost batch (2 requests) was adopted; only the third request went in a new batch.
    expect(store.map((batch) => batch.requests.length)).toEqual([2, 1]);
    expect(notices.some((notice) => notice.includes('found by its label'))).toBe(true);
    expect(summary).toMatchObject({ batches: 2, requests: 3, succeeded: 3, failed: 0, leftForLive: 0, interrupted: false });
    const judged = await new JudgeRunner().run(rerun);
    expect(provider.live).toBe(0);
    expect(judged.calls?.cachedCalls).toBe(3);
    expect(judged.results.models[0]!.scored).toBe(3);
  });

  it('submits a lost batch again, with a notice, where the provider keeps no labels', async () => {
    const store: StoredBatch[] = [];
    const cache = new MemoryCache();
    const run = await setup(memoryBatchProvider(store, { keepsLabels: false, killAfterSubmit: true }), cache);
    await expect(executeBatches({ run, cache, pollMs: 1 })).rejects.toThrow('killed after submit');
    const provider = memoryBatchProvider(store, { keepsLabels: false });
    const notices: string[] = [];
    await executeBatches({ run: { ...run, provider, judge: lengthJudge(provider, run.calls as JudgeCallRunner) }, cache, pollMs: 1, notify: (message) => notices.push(message) });
    expect(store.map((batch) => batch.requests.length)).toEqual([2, 2, 1]);
    expect(notices.some((notice) => notice.includes('being submitted when the last process stopped'))).toBe(true);
  });

  it('stops after --batch-rounds rounds of this session and leaves a request that keeps failing to the live path; a later session has its own rounds', async () => {
    const store: StoredBatch[] = [];
    const cache = new MemoryCache();
    const provider = memoryBatchProvider(store, { keepsLabels: true, failPrompt: 'task 1' });
    const run = await setup(provider, cache);
    const summary = await executeBatches({ run, cache, pollMs: 1, maxRounds: 2 });
    // Round 0: three requests (2 + 1); round 1: the failed one again; then the limit.
    expect(store.map((batch) => batch.requests.length)).toEqual([2, 1, 1]);
    expect(summary).toMatchObject({ rounds: 2, requests: 4, succeeded: 2, failed: 2, leftForLive: 1 });
    // A later session (say, a rerun next day) gets one more round of its own before giving up.
    const later = await executeBatches({ run, cache, pollMs: 1, maxRounds: 1 });
    expect(store.map((batch) => batch.requests.length)).toEqual([2, 1, 1, 1]);
    expect(later).toMatchObject({ rounds: 3, leftForLive: 1 });
    await new JudgeRunner().run(run);
    expect(provider.live).toBe(1);
    // Everything is judged now: a rerun finds nothing missing and submits nothing.
    expect((await executeBatches({ run, cache, pollMs: 1 })).leftForLive).toBe(0);
    expect(store).toHaveLength(4);
  });

  it('writes every downloaded batch result to spend.jsonl once at half price, even when a kill during a download makes the rerun download it again, and run.json and results.json price them at the batch price', async () => {
    const store: StoredBatch[] = [];
    const cache = new MemoryCache();
    const provider = memoryBatchProvider(store, { keepsLabels: true, failPrompt: 'task 1' });
    const run = { ...(await setup(provider, cache)), prices: { 'memory:m': { input: 2, output: 10 } } };
    // The process dies during the first download: its results are read, but no reply reaches the cache and
    // batches.json does not say `downloaded`.
    const dying = { get: cache.get.bind(cache), set: async (): Promise<void> => Promise.reject(new Error('killed mid-download')) };
    await expect(executeBatches({ run, cache: dying, pollMs: 1, maxRounds: 1 })).rejects.toThrow('killed mid-download');
    const killed = JSON.parse(await readFile(join(run.outDir, 'batches.json'), 'utf8')) as BatchState;
    expect(killed.batches.map((entry) => entry.downloaded)).toEqual([false, false]);

    // The rerun downloads the first batch again, then the second; the failed request (task 1) fails again in this
    // session's one follow-up round and is left to the live path.
    await executeBatches({ run, cache, pollMs: 1, maxRounds: 1 });
    expect(store.map((batch) => batch.requests.length)).toEqual([2, 1, 1]);
    const lines = (await readFile(join(run.outDir, 'spend.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { key: string; requests: number; failed: number; priceFactor: number });
    expect(lines).toHaveLength(4);
    expect(new Set(lines.map((line) => line.key))).toEqual(new Set(store.flatMap((batch) => batch.requests.map((request) => `batch ${batch.id} ${request.customId}`))));
    expect(lines.every((line) => line.priceFactor === 0.5 && line.requests === 1)).toBe(true);
    expect(lines.map((line) => line.failed).sort()).toEqual([0, 0, 1, 1]);

    // The judge run makes the failed call live (list price) and prices the rest at the batch price.
    await new JudgeRunner().run(run);
    expect(provider.live).toBe(1);
    const record = JSON.parse(await readFile(join(run.outDir, 'run.json'), 'utf8')) as { calls: { spent: { requests: number; failed: number } }; tokens: { spent: { prompt: number; completion: number } }; cost: { spent: number; batch: { priceFactor: number; price: unknown; requests: number; costUsd: number } } };
    expect(record.calls.spent).toEqual({ requests: 5, failed: 2 });
    // Two answered batch requests (3 + 1 tokens each), two failed (0), one live call (1 + 1).
    expect(record.tokens.spent).toEqual({ prompt: 7, completion: 3 });
    const listPrice = { input: 2, output: 10 };
    expect(record.cost.spent).toBeCloseTo(costUsd({ prompt: 6, completion: 2 }, listPrice) / 2 + costUsd({ prompt: 1, completion: 1 }, listPrice), 12);
    expect(record.cost.batch).toMatchObject({ priceFactor: 0.5, price: { input: 1, output: 5 }, requests: 4 });
    expect(record.cost.batch.costUsd).toBeCloseTo(costUsd({ prompt: 6, completion: 2 }, listPrice) / 2, 12);
    const results = JSON.parse(await readFile(join(run.outDir, 'results.json'), 'utf8')) as { judges: Array<{ batch?: { priceFactor: number; price: unknown; requests: number } }> };
    expect(results.judges[0]!.batch).toMatchObject({ priceFactor: 0.5, price: { input: 1, output: 5 }, requests: 4 });
  });
});

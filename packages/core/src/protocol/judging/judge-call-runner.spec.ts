// The call runner's promises about billing: identical calls within a run are paid for once, and a call counts
// as done only once its reply is in the cache (so a process killed afterwards never pays for it again).
import { describe, expect, it } from 'vitest';
import type { ChatModelProvider, ChatRequest, ChatResponse } from '../../contracts/chat-model-provider.js';
import type { KeyValueCache } from '../../run/disk-cache.js';
import { MemoryCache } from '../../run/disk-cache.js';
import { JudgeCallRunner } from './judge-call-runner.js';

/** A provider that answers each prompt with its length after `delayMs`, counting what it is asked. */
function countingProvider(delayMs = 5): ChatModelProvider & { asked: string[] } {
  const asked: string[] = [];
  return {
    id: 'counting',
    cacheIdentity: { test: true },
    asked,
    async complete(request: ChatRequest): Promise<ChatResponse> {
      const prompt = request.messages.map((message) => message.content).join('\n');
      asked.push(prompt);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      return { output: `len ${prompt.length}`, tokenUsage: { prompt: prompt.length, completion: 2 }, latencyMs: delayMs };
    },
  };
}

/** Resolve once `condition()` holds (polled every few ms). */
async function waitUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 2));
}

const request = (prompt: string, temperature = 0): ChatRequest => ({ model: 'm', messages: [{ role: 'user', content: prompt }], temperature });

describe('JudgeCallRunner', () => {
  it('makes identical calls of one run once, in flight together or one after another', async () => {
    const provider = countingProvider();
    const runner = new JudgeCallRunner({ concurrency: 4 });
    const together = await Promise.all([runner.complete(provider, request('a'), { repeat: 0 }), runner.complete(provider, request('a'), { repeat: 0 }), runner.complete(provider, request('a'), { repeat: 0 })]);
    const later = await runner.complete(provider, request('a'), { repeat: 0 });
    expect(provider.asked).toEqual(['a']);
    expect([...together, later].map((outcome) => outcome.output)).toEqual(['len 1', 'len 1', 'len 1', 'len 1']);
    expect([...together, later].filter((outcome) => outcome.shared)).toHaveLength(3);
    expect(runner.stats).toMatchObject({ calls: 1, requests: 1, sharedCalls: 3, cachedCalls: 0 });
  });

  it('still makes calls that differ in prompt, parameters, repeat or attempt', async () => {
    const provider = countingProvider();
    const runner = new JudgeCallRunner({ cache: new MemoryCache() });
    await Promise.all([
      runner.complete(provider, request('a'), { repeat: 0 }),
      runner.complete(provider, request('b'), { repeat: 0 }),
      runner.complete(provider, request('a', 0.7), { repeat: 0 }),
      runner.complete(provider, request('a'), { repeat: 1 }),
      runner.complete(provider, request('a'), { repeat: 0, attempt: 1 }),
    ]);
    expect(provider.asked).toHaveLength(5);
    expect(runner.stats.sharedCalls).toBe(0);
  });

  it('asks again when the identical call it waited for failed', async () => {
    let failures = 1;
    const asked: string[] = [];
    const provider: ChatModelProvider = {
      id: 'flaky',
      cacheIdentity: {},
      async complete(r) {
        asked.push(r.messages[0]!.content);
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (failures-- > 0) return { error: { kind: 'bad-request', message: 'no' }, tokenUsage: { prompt: 0, completion: 0 }, latencyMs: 1 };
        return { output: 'ok', tokenUsage: { prompt: 1, completion: 1 }, latencyMs: 1 };
      },
    };
    const runner = new JudgeCallRunner({ transportRetries: 0 });
    const [first, second] = await Promise.all([runner.complete(provider, request('x'), { repeat: 0 }), runner.complete(provider, request('x'), { repeat: 0 })]);
    expect(first.error?.kind).toBe('bad-request');
    expect(second.output).toBe('ok');
    expect(asked).toEqual(['x', 'x']);
  });

  it('counts a call done only after its reply is written to the cache', async () => {
    const provider = countingProvider(1);
    let releaseWrite: () => void = () => undefined;
    const written: string[] = [];
    const slowCache: KeyValueCache = {
      async get() {
        return undefined;
      },
      async set(key) {
        await new Promise<void>((resolve) => {
          releaseWrite = resolve;
        });
        written.push(key);
      },
    };
    const runner = new JudgeCallRunner({ cache: slowCache });
    let done = false;
    const call = runner.complete(provider, request('a'), { repeat: 0 }).then((outcome) => {
      done = true;
      return outcome;
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(provider.asked).toEqual(['a']);
    expect(done).toBe(false);
    releaseWrite();
    expect((await call).output).toBe('len 1');
    expect(written).toHaveLength(1);
  });

  it('never has more than `concurrency` calls asked whose reply is not yet in the cache, so a kill re-bills at most that many', async () => {
    const provider = countingProvider(1);
    const pendingWrites: Array<() => void> = [];
    const heldCache: KeyValueCache = {
      async get() {
        return undefined;
      },
      async set() {
        await new Promise<void>((resolve) => pendingWrites.push(resolve));
      },
    };
    const runner = new JudgeCallRunner({ cache: heldCache, concurrency: 2 });
    const calls = ['a', 'b', 'c', 'd', 'e'].map((prompt) => runner.complete(provider, request(prompt), { repeat: 0 }));
    // Both slots' replies have arrived and wait for their cache writes: no third call may be asked meanwhile.
    await waitUntil(() => pendingWrites.length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(pendingWrites).toHaveLength(2);
    expect(provider.asked).toEqual(['a', 'b']);
    // Each finished write frees one slot for one more call.
    for (let written = 0; written < 5; written++) {
      expect(provider.asked.length - written).toBeLessThanOrEqual(2);
      await waitUntil(() => pendingWrites.length > written);
      pendingWrites[written]!();
    }
    expect((await Promise.all(calls)).map((outcome) => outcome.output)).toEqual(['len 1', 'len 1', 'len 1', 'len 1', 'len 1']);
    expect(provider.asked).toHaveLength(5);
  });

  it('a failed cache write is counted and the reply still used', async () => {
    const provider = countingProvider(1);
    const runner = new JudgeCallRunner({
      cache: {
        async get() {
          return undefined;
        },
        async set() {
          throw new Error('disk full');
        },
      },
    });
    const outcome = await runner.complete(provider, request('a'), { repeat: 0 });
    expect(outcome.output).toBe('len 1');
    expect(runner.stats.cacheWriteErrors).toBe(1);
  });
});

// The adaptive limiter on a fake clock: additive increase, multiplicative decrease, Retry-After, the in-flight
// cap and the request/token buckets. No real time passes; every wait is the fake clock's.
import { describe, expect, it } from 'vitest';
import type { ChatModelProvider } from '../../contracts/chat-model-provider.js';
import { AdaptiveLimiter, ProviderLimiters, providerEndpointKey, type LimiterClock } from './rate-limiter.js';

class FakeClock implements LimiterClock {
  time = 0;
  readonly #timers: Array<{ at: number; fn: () => void }> = [];

  now(): number {
    return this.time;
  }

  setTimer(fn: () => void, ms: number): () => void {
    const timer = { at: this.time + ms, fn };
    this.#timers.push(timer);
    return () => {
      const at = this.#timers.indexOf(timer);
      if (at >= 0) this.#timers.splice(at, 1);
    };
  }

  /** Move time forward, firing due timers in order (and letting the promises they settle run). */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    await flush();
    for (;;) {
      this.#timers.sort((a, b) => a.at - b.at);
      const next = this.#timers[0];
      if (!next || next.at > end) break;
      this.#timers.shift();
      this.time = next.at;
      next.fn();
      await flush();
    }
    this.time = end;
    await flush();
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

const rateLimited = (retryAfterMs?: number) => ({ error: { kind: 'rate-limit' as const, status: 429, message: '429', ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) } });
const serverError = { error: { kind: 'server' as const, status: 503, message: '503' } };

describe('AdaptiveLimiter', () => {
  it('grows the limit by one per success until the first backoff, then by about one per round of successes', async () => {
    const clock = new FakeClock();
    const limiter = new AdaptiveLimiter({ maxInFlight: 16, initialLimit: 2, clock });
    expect(limiter.limit).toBe(2);
    const first = await Promise.all([limiter.acquire(), limiter.acquire()]);
    first.forEach((permit) => permit.release());
    expect(limiter.limit).toBe(4);
    const four = await Promise.all(Array.from({ length: 4 }, () => limiter.acquire()));
    four.forEach((permit) => permit.release());
    expect(limiter.limit).toBe(8);
    // After a backoff: additive, 1/limit per success (so one round of `limit` successes adds one).
    (await limiter.acquire()).release(serverError);
    expect(limiter.limit).toBe(4);
    const round = await Promise.all(Array.from({ length: 4 }, () => limiter.acquire()));
    round.forEach((permit) => permit.release());
    expect(limiter.limit).toBe(4); // 4 + 1/4 + 1/4.25 + 1/4.49 + 1/4.71 < 5
    (await limiter.acquire()).release();
    expect(limiter.limit).toBe(5);
  });

  it('learns a requests-per-minute from a 429, a little under the rate the server let through, and spaces later requests by it', async () => {
    const clock = new FakeClock();
    const limiter = new AdaptiveLimiter({ maxInFlight: 4, initialLimit: 4, clock });
    // Ten successes in the first second, then a 429: the server allows about 600 a minute.
    for (let i = 0; i < 10; i++) {
      (await limiter.acquire()).release();
      await clock.advance(100);
    }
    expect(limiter.learnedRequestsPerMinute).toBeUndefined();
    (await limiter.acquire()).release(rateLimited());
    expect(limiter.learnedRequestsPerMinute).toBeCloseTo(570, 6);
    expect(limiter.describe()).toBe('limit 2/4 (~570 rpm learned), 1 backoff');
    // The bucket starts empty after a 429: the next request waits one interval, 60000 / 570 = 105.3 ms.
    let startedAt: number | undefined;
    const next = limiter.acquire().then((permit) => {
      startedAt = clock.now();
      permit.release();
    });
    await clock.advance(105);
    expect(startedAt).toBeUndefined();
    await clock.advance(1);
    await next;
    expect(startedAt).toBe(1106);
    // Each success lets the learned rate creep up (1.2 a minute).
    expect(limiter.learnedRequestsPerMinute).toBeCloseTo(571.2, 6);
  });

  it('never grows past maxInFlight however many calls succeed', async () => {
    const limiter = new AdaptiveLimiter({ maxInFlight: 3, initialLimit: 1, clock: new FakeClock() });
    for (let i = 0; i < 50; i++) (await limiter.acquire()).release();
    expect(limiter.limit).toBe(3);
  });

  it('halves the limit on a 429 or a 5xx, once for all the calls that were in flight together', async () => {
    const limiter = new AdaptiveLimiter({ maxInFlight: 8, initialLimit: 8, clock: new FakeClock() });
    const together = await Promise.all(Array.from({ length: 8 }, () => limiter.acquire()));
    together.forEach((permit) => permit.release(rateLimited()));
    expect(limiter.limit).toBe(4);
    (await limiter.acquire()).release(serverError);
    expect(limiter.limit).toBe(2);
    (await limiter.acquire()).release({ error: { kind: 'timeout', message: 'no reply' } });
    expect(limiter.limit).toBe(1);
    (await limiter.acquire()).release(rateLimited());
    expect(limiter.limit).toBe(1);
    // Failures that say nothing about load leave the limit alone.
    const before = limiter.limit;
    (await limiter.acquire()).release({ error: { kind: 'bad-request', status: 400, message: 'bad' } });
    expect(limiter.limit).toBe(before);
    expect(limiter.describe()).toBe('limit 1/8, 4 backoffs');
  });

  it("lets no call start before a 429's Retry-After has passed, then lets the waiting ones go", async () => {
    const clock = new FakeClock();
    const limiter = new AdaptiveLimiter({ maxInFlight: 4, initialLimit: 4, clock });
    (await limiter.acquire()).release(rateLimited(5000));
    const started: number[] = [];
    const waiting = [limiter.acquire().then(() => started.push(clock.now())), limiter.acquire().then(() => started.push(clock.now()))];
    await clock.advance(4999);
    expect(started).toEqual([]);
    await clock.advance(1);
    await Promise.all(waiting);
    expect(started).toEqual([5000, 5000]);
  });

  it('never has more calls in flight than the limit allows, with many more waiting', async () => {
    const clock = new FakeClock();
    const limiter = new AdaptiveLimiter({ maxInFlight: 3, initialLimit: 3, clock });
    let inFlight = 0;
    let most = 0;
    let done = 0;
    const calls = Array.from({ length: 40 }, async (_, i) => {
      const permit = await limiter.acquire();
      inFlight++;
      most = Math.max(most, inFlight);
      await clock.advance(i % 3); // let the others queue up meanwhile
      inFlight--;
      done++;
      permit.release(i % 7 === 0 ? serverError : {});
    });
    await Promise.all(calls);
    expect(done).toBe(40);
    expect(most).toBe(3);
    expect(limiter.inFlight).toBe(0);
  });

  it('spaces requests evenly at the requests-per-minute rate after the first second of burst', async () => {
    const clock = new FakeClock();
    const limiter = new AdaptiveLimiter({ requestsPerMinute: 60, maxInFlight: 8, initialLimit: 8, clock });
    const startedAt: number[] = [];
    const calls = Array.from({ length: 4 }, () =>
      limiter.acquire().then((permit) => {
        startedAt.push(clock.now());
        permit.release();
      }),
    );
    await clock.advance(10_000);
    await Promise.all(calls);
    // 60 per minute: one a second (a bucket of one second's worth, full at the start).
    expect(startedAt).toEqual([0, 1000, 2000, 3000]);
  });

  it('paces by tokens per minute, charging the tokens a call reports rather than its estimate', async () => {
    const clock = new FakeClock();
    // 6000 per minute = 100 a second; the bucket holds one second's worth.
    const limiter = new AdaptiveLimiter({ tokensPerMinute: 6000, maxInFlight: 4, initialLimit: 4, clock });
    const first = await limiter.acquire(100);
    first.release({ tokens: 300 }); // 200 more than estimated: the bucket is 200 in debt
    let startedAt: number | undefined;
    const next = limiter.acquire(100).then((permit) => {
      startedAt = clock.now();
      permit.release({ tokens: 100 });
    });
    await clock.advance(2999);
    expect(startedAt).toBeUndefined();
    await clock.advance(1);
    await next;
    expect(startedAt).toBe(3000);
  });

  it('drops a waiting call when its run is interrupted, and the slot goes to the next one', async () => {
    const clock = new FakeClock();
    const limiter = new AdaptiveLimiter({ maxInFlight: 1, initialLimit: 1, clock });
    const holder = await limiter.acquire();
    const controller = new AbortController();
    const dropped = limiter.acquire(0, controller.signal);
    let nextGranted = false;
    const next = limiter.acquire().then((permit) => {
      nextGranted = true;
      return permit;
    });
    controller.abort(new Error('interrupted'));
    await expect(dropped).rejects.toThrow('interrupted');
    holder.release();
    (await next).release();
    expect(nextGranted).toBe(true);
    expect(limiter.inFlight).toBe(0);
  });
});

describe('ProviderLimiters', () => {
  const provider = (baseURL: string): ChatModelProvider => ({ id: 'openai', cacheIdentity: { baseURL, api: 'chat' }, complete: async () => ({ output: '', tokenUsage: { prompt: 0, completion: 0 }, latencyMs: 0 }) });

  it('gives judges of the same endpoint one limiter, tightened to the stricter limits, and another endpoint its own', () => {
    const limiters = new ProviderLimiters();
    const a = limiters.forEndpoint(providerEndpointKey(provider('http://one/v1')), { requestsPerMinute: 600, maxInFlight: 16 });
    const b = limiters.forEndpoint(providerEndpointKey(provider('http://one/v1')), { requestsPerMinute: 300, maxInFlight: 32, tokensPerMinute: 90_000 });
    const other = limiters.forEndpoint(providerEndpointKey(provider('http://two/v1')), { maxInFlight: 2 });
    expect(b).toBe(a);
    expect([a.requestsPerMinute, a.tokensPerMinute, a.maxInFlight]).toEqual([300, 90_000, 16]);
    expect(other).not.toBe(a);
    expect(other.maxInFlight).toBe(2);
  });

  it("lets a later judge's given maxInFlight replace the cap an earlier judge only had by default", () => {
    const limiters = new ProviderLimiters();
    const byDefault = limiters.forEndpoint('openai http://one/v1', { requestsPerMinute: 600 }, { defaultMaxInFlight: 4 });
    expect(byDefault.maxInFlight).toBe(4);
    limiters.forEndpoint('openai http://one/v1', { maxInFlight: 10 }, { defaultMaxInFlight: 8 });
    expect(byDefault.maxInFlight).toBe(10);
    limiters.forEndpoint('openai http://one/v1', { maxInFlight: 20 });
    expect(byDefault.maxInFlight).toBe(10);
  });
});

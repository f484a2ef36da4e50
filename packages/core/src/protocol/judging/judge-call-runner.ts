// Every judge call goes through here: the on-disk cache (so a rerun makes no calls), identical calls within a
// run made once, one concurrency limit across all calls, a timeout per call, and retries with backoff that
// honour Retry-After. Usage is counted. With a limiter (per-provider rate limits), each request also waits for
// the endpoint's adaptive limit and request/token buckets, and tells it how the request went.
import type { ChatModelProvider, ChatRequest, ChatResponse, TokenLogprob, TokenUsage } from '../../contracts/chat-model-provider.js';
import type { KeyValueCache } from '../../run/disk-cache.js';
import { canonicalHash } from '../../util/canonical-hash.js';
import { Semaphore } from '../../util/concurrency.js';
import { scrubSecrets } from '../../util/scrub-secrets.js';
import { estimateTokens } from './price-table.js';
import type { AdaptiveLimiter } from './rate-limiter.js';
import { isTransient, retryDelayMs, type BackoffOptions } from './retry-policy.js';
import { abortableSleep } from '../../util/abortable-sleep.js';

export interface JudgeCallRunnerOptions {
  cache?: KeyValueCache;
  /** Calls in flight at once, across every judge and item. Default 4. */
  concurrency?: number;
  /** Per-attempt timeout. Default 120 s. */
  timeoutMs?: number;
  /** Extra attempts after a transient failure (429, 5xx, timeout, network). Default 4. */
  transportRetries?: number;
  backoff?: BackoffOptions;
  /**
   * The provider endpoint's limiter (rate limits and adaptive concurrency), shared with the other judges that
   * call it. Requests still respect `concurrency` too. Unset: the fixed concurrency alone, as before.
   */
  limiter?: AdaptiveLimiter;
  /** For tests: how to wait. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface CallContext {
  repeat: number;
  /** Which try at a usable reply (judges re-ask after an invalid reply); part of the cache key. */
  attempt?: number;
}

export interface CallOutcome extends ChatResponse {
  /** Requests sent for this call, retries included (0 when cached or shared). */
  requests: number;
  /** Answered by an identical call made earlier in this run (same cache key), so not billed again. */
  shared?: boolean;
}

export interface CallStats {
  /** Calls answered over the network. */
  calls: number;
  /** HTTP requests sent, retries included. */
  requests: number;
  cachedCalls: number;
  /** Calls answered by an identical call of this run (same prompt, parameters, repeat and attempt). */
  sharedCalls: number;
  failedCalls: number;
  retries: number;
  /** Cache writes that failed (the reply is still used; a later run will pay for the call again). */
  cacheWriteErrors: number;
  /** Tokens of the calls made over the network (cache hits cost nothing). */
  tokenUsage: TokenUsage;
}

/** One request as it is paid for (a failed request may cost tokens too). */
export interface Spend {
  requests: number;
  failed: number;
  tokenUsage: TokenUsage;
  /** Billed at this fraction of the list price (a provider batch: 0.5); absent: the list price. */
  priceFactor?: number;
  /** Names what was paid for where it can be reported twice (a queue unit read back again): recorded once per key. */
  key?: string;
}

/** Calls made elsewhere for this runner's run (a queue worker's unit), to add to `stats`. */
export type RemoteCallStats = Pick<CallStats, 'calls' | 'requests' | 'cachedCalls' | 'failedCalls' | 'retries' | 'tokenUsage'>;

export type SpendListener = (spend: Spend) => Promise<void> | void;

interface CachedReply {
  output: string;
  tokenUsage: TokenUsage;
  latencyMs: number;
  /** Present when the request asked for log-probabilities and the provider sent them. */
  logprobs?: TokenLogprob[];
}

/** Bump when the meaning of a cache entry changes. */
const CACHE_VERSION = 1;

/** The cache key of one call: what was asked of whom, and which sample; never a key or a secret. */
export function callCacheKey(provider: ChatModelProvider, request: ChatRequest, context: CallContext): string {
  return canonicalHash({
    v: CACHE_VERSION,
    provider: provider.id,
    endpoint: provider.cacheIdentity,
    model: request.model,
    // `logprobs` only when asked for, so the keys of every other call stay as they were.
    parameters: { temperature: request.temperature, seed: request.seed, maxTokens: request.maxTokens, responseSchema: request.responseSchema, ...(request.logprobs ? { logprobs: true } : {}) },
    messages: request.messages,
    repeat: context.repeat,
    attempt: context.attempt ?? 0,
  });
}


export class JudgeCallRunner {
  readonly stats: CallStats = { calls: 0, requests: 0, cachedCalls: 0, sharedCalls: 0, failedCalls: 0, retries: 0, cacheWriteErrors: 0, tokenUsage: { prompt: 0, completion: 0 } };
  readonly #cache: KeyValueCache | undefined;
  readonly #semaphore: Semaphore;
  readonly #timeoutMs: number;
  readonly #transportRetries: number;
  readonly #backoff: BackoffOptions;
  readonly #limiter: AdaptiveLimiter | undefined;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Calls in flight by cache key: an identical call joins the one already asked instead of paying twice. */
  readonly #inFlight = new Map<string, Promise<CallOutcome>>();
  /** Replies of this run by cache key: an identical later call is answered from here (as from the cache). */
  readonly #answered = new Map<string, CachedReply>();
  readonly #spendListeners = new Set<SpendListener>();

  constructor(options: JudgeCallRunnerOptions = {}) {
    this.#cache = options.cache;
    this.#semaphore = new Semaphore(options.concurrency ?? 4);
    this.#timeoutMs = options.timeoutMs ?? 120_000;
    this.#transportRetries = options.transportRetries ?? 4;
    this.#backoff = options.backoff ?? {};
    this.#limiter = options.limiter;
    this.#sleep = options.sleep ?? abortableSleep;
  }

  /**
   * Be told of every request as it is paid for, before the call it belongs to counts as done (so a run's spend
   * can be recorded even if the process is killed later). Returns the function that stops it.
   */
  onSpend(listener: SpendListener): () => void {
    this.#spendListeners.add(listener);
    return () => this.#spendListeners.delete(listener);
  }

  /**
   * Calls another process made for this run (a queue worker's unit, reported to the coordinator): added to `stats`
   * and passed to the spend listeners as one record, so run.json and spend.jsonl count them like calls made here.
   */
  async recordRemote(calls: RemoteCallStats, spend: Spend): Promise<void> {
    for (const field of ['calls', 'requests', 'cachedCalls', 'failedCalls', 'retries'] as const) this.stats[field] += calls[field];
    this.stats.tokenUsage.prompt += calls.tokenUsage.prompt;
    this.stats.tokenUsage.completion += calls.tokenUsage.completion;
    await Promise.allSettled([...this.#spendListeners].map(async (listener) => listener(spend)));
  }

  /** The adaptive limit for the progress line (`limit 6/16 (600 rpm)`); undefined without rate limits. */
  limitStatus(): string | undefined {
    return this.#limiter?.describe();
  }

  /** Whether this call is already answered in the cache (for dry runs). */
  async isCached(provider: ChatModelProvider, request: ChatRequest, context: CallContext): Promise<boolean> {
    if (!this.#cache) return false;
    return (await this.#cache.get<CachedReply>(callCacheKey(provider, request, context))) !== undefined;
  }

  async complete(provider: ChatModelProvider, request: ChatRequest, context: CallContext): Promise<CallOutcome> {
    const key = callCacheKey(provider, request, context);
    // An identical call in flight: wait for it, then take its reply (or, if it failed, ask again: an abort or
    // a hard failure comes back the same way).
    for (let pending = this.#inFlight.get(key); pending; pending = this.#inFlight.get(key)) await pending;
    const call = this.#complete(provider, request, key);
    this.#inFlight.set(key, call);
    try {
      return await call;
    } finally {
      if (this.#inFlight.get(key) === call) this.#inFlight.delete(key);
    }
  }

  async #complete(provider: ChatModelProvider, request: ChatRequest, key: string): Promise<CallOutcome> {
    const answered = this.#answered.get(key);
    if (answered) {
      this.stats.sharedCalls++;
      return { ...answered, cached: true, shared: true, requests: 0 };
    }
    const hit = this.#cache ? await this.#cache.get<CachedReply>(key) : undefined;
    if (hit) {
      this.stats.cachedCalls++;
      return { output: hit.output, tokenUsage: hit.tokenUsage, latencyMs: hit.latencyMs, ...(hit.logprobs ? { logprobs: hit.logprobs } : {}), cached: true, requests: 0 };
    }
    const outer = request.signal;
    let requests = 0;
    const usage: TokenUsage = { prompt: 0, completion: 0 };
    for (let retry = 0; ; retry++) {
      if (outer?.aborted) return { error: { kind: 'aborted', message: 'the run was interrupted' }, tokenUsage: usage, latencyMs: 0, requests };
      // The slot is held until the request is recorded as spent and its reply is on disk: a process killed at any
      // point pays again for at most `concurrency` calls (those whose reply could not be saved yet).
      const response = await this.#semaphore.use(async () => {
        const response = await this.#limitedAttempt(provider, request);
        if (!response) return undefined;
        if (this.#spendListeners.size > 0) {
          const spend: Spend = { requests: 1, failed: response.error ? 1 : 0, tokenUsage: response.tokenUsage };
          // A listener's failure is its own to report; it does not fail a call that was paid for.
          await Promise.allSettled([...this.#spendListeners].map(async (listener) => listener(spend)));
        }
        // The reply is on disk before the call counts as done: a process killed after this point never pays
        // for this call again.
        if (!response.error && this.#cache) await this.#write(this.#cache, key, { output: response.output ?? '', tokenUsage: response.tokenUsage, latencyMs: response.latencyMs, ...(response.logprobs ? { logprobs: response.logprobs } : {}) });
        return response;
      });
      if (!response) return { error: { kind: 'aborted', message: 'the run was interrupted' }, tokenUsage: usage, latencyMs: 0, requests };
      requests++;
      this.stats.requests++;
      usage.prompt += response.tokenUsage.prompt;
      usage.completion += response.tokenUsage.completion;
      this.stats.tokenUsage.prompt += response.tokenUsage.prompt;
      this.stats.tokenUsage.completion += response.tokenUsage.completion;
      if (!response.error) {
        this.stats.calls++;
        const output = response.output ?? '';
        const reply: CachedReply = { output, tokenUsage: response.tokenUsage, latencyMs: response.latencyMs, ...(response.logprobs ? { logprobs: response.logprobs } : {}) };
        this.#answered.set(key, reply);
        return { output, tokenUsage: usage, latencyMs: response.latencyMs, ...(response.logprobs ? { logprobs: response.logprobs } : {}), requests };
      }
      if (!isTransient(response.error) || retry >= this.#transportRetries || outer?.aborted) {
        this.stats.failedCalls++;
        return { error: response.error, tokenUsage: usage, latencyMs: response.latencyMs, requests };
      }
      this.stats.retries++;
      // Wait outside the semaphore so other calls use the slot meanwhile.
      try {
        await this.#sleep(retryDelayMs(retry, response.error.retryAfterMs, this.#backoff), outer);
      } catch {
        return { error: { kind: 'aborted', message: 'the run was interrupted' }, tokenUsage: usage, latencyMs: 0, requests };
      }
    }
  }

  // A failed write does not fail the call: the reply is in hand, and a later run only pays for it again.
  async #write(cache: KeyValueCache, key: string, value: CachedReply): Promise<void> {
    try {
      await cache.set<CachedReply>(key, value);
    } catch {
      this.stats.cacheWriteErrors++;
    }
  }

  /** One request within the endpoint's limits; undefined when the run was interrupted while waiting for them. */
  async #limitedAttempt(provider: ChatModelProvider, request: ChatRequest): Promise<ChatResponse | undefined> {
    const limiter = this.#limiter;
    if (!limiter) return this.#attempt(provider, request);
    // Tokens/minute counts the prompt and the most the reply may take; corrected by the reported usage after.
    const estimate = request.messages.reduce((sum, message) => sum + estimateTokens(message.content), 0) + (request.maxTokens ?? 0);
    let permit;
    try {
      permit = await limiter.acquire(estimate, request.signal);
    } catch {
      return undefined;
    }
    let response: ChatResponse | undefined;
    try {
      response = await this.#attempt(provider, request);
      return response;
    } finally {
      const billed = response ? response.tokenUsage.prompt + response.tokenUsage.completion : undefined;
      permit.release({ ...(response?.error ? { error: response.error } : {}), ...(billed ? { tokens: billed } : {}) });
    }
  }

  async #attempt(provider: ChatModelProvider, request: ChatRequest): Promise<ChatResponse> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    const started = performance.now();
    let response: ChatResponse;
    try {
      response = await provider.complete({ ...request, signal });
    } catch (error) {
      // The contract says providers return failures as data; a throw is a provider bug, kept as a failure.
      response = { error: { kind: 'bad-response', message: `provider ${provider.id} threw: ${(error as Error)?.message ?? String(error)}` }, tokenUsage: { prompt: 0, completion: 0 }, latencyMs: performance.now() - started };
    }
    if (response.error && timeout.aborted && !request.signal?.aborted) {
      return { ...response, error: { kind: 'timeout', message: `no reply within ${this.#timeoutMs} ms` } };
    }
    // Every provider's failure text ends up in judgments.jsonl and the logs; a plugin's may echo a key.
    if (response.error) return { ...response, error: { ...response.error, message: scrubSecrets(response.error.message) } };
    return response;
  }
}

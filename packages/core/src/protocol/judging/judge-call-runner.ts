// Every judge call goes through here: the on-disk cache (so a rerun makes no calls), one concurrency limit
// across all calls, a timeout per call, and retries with backoff that honour Retry-After. Usage is counted.
import type { ChatModelProvider, ChatRequest, ChatResponse, TokenUsage } from '../../contracts/chat-model-provider.js';
import type { KeyValueCache } from '../../run/disk-cache.js';
import { canonicalHash } from '../../util/canonical-hash.js';
import { Semaphore } from '../../util/concurrency.js';
import { isTransient, retryDelayMs, type BackoffOptions } from './retry-policy.js';

export interface JudgeCallRunnerOptions {
  cache?: KeyValueCache;
  /** Calls in flight at once, across every judge and item. Default 4. */
  concurrency?: number;
  /** Per-attempt timeout. Default 120 s. */
  timeoutMs?: number;
  /** Extra attempts after a transient failure (429, 5xx, timeout, network). Default 4. */
  transportRetries?: number;
  backoff?: BackoffOptions;
  /** For tests: how to wait. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface CallContext {
  repeat: number;
  /** Which try at a usable reply (judges re-ask after an invalid reply); part of the cache key. */
  attempt?: number;
}

export interface CallOutcome extends ChatResponse {
  /** Requests sent for this call, retries included (0 when cached). */
  requests: number;
}

export interface CallStats {
  /** Calls answered over the network. */
  calls: number;
  /** HTTP requests sent, retries included. */
  requests: number;
  cachedCalls: number;
  failedCalls: number;
  retries: number;
  /** Cache writes that failed (the call still counts; a rerun will make it again). */
  cacheWriteErrors: number;
  /** Tokens of the calls made over the network (cache hits cost nothing). */
  tokenUsage: TokenUsage;
}

interface CachedReply {
  output: string;
  tokenUsage: TokenUsage;
  latencyMs: number;
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
    parameters: { temperature: request.temperature, seed: request.seed, maxTokens: request.maxTokens, responseSchema: request.responseSchema },
    messages: request.messages,
    repeat: context.repeat,
    attempt: context.attempt ?? 0,
  });
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class JudgeCallRunner {
  readonly stats: CallStats = { calls: 0, requests: 0, cachedCalls: 0, failedCalls: 0, retries: 0, cacheWriteErrors: 0, tokenUsage: { prompt: 0, completion: 0 } };
  readonly #cache: KeyValueCache | undefined;
  readonly #semaphore: Semaphore;
  readonly #timeoutMs: number;
  readonly #transportRetries: number;
  readonly #backoff: BackoffOptions;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #pendingWrites = new Set<Promise<void>>();

  constructor(options: JudgeCallRunnerOptions = {}) {
    this.#cache = options.cache;
    this.#semaphore = new Semaphore(options.concurrency ?? 4);
    this.#timeoutMs = options.timeoutMs ?? 120_000;
    this.#transportRetries = options.transportRetries ?? 4;
    this.#backoff = options.backoff ?? {};
    this.#sleep = options.sleep ?? abortableSleep;
  }

  /** Whether this call is already answered in the cache (for dry runs). */
  async isCached(provider: ChatModelProvider, request: ChatRequest, context: CallContext): Promise<boolean> {
    if (!this.#cache) return false;
    return (await this.#cache.get<CachedReply>(callCacheKey(provider, request, context))) !== undefined;
  }

  async complete(provider: ChatModelProvider, request: ChatRequest, context: CallContext): Promise<CallOutcome> {
    const key = callCacheKey(provider, request, context);
    const hit = this.#cache ? await this.#cache.get<CachedReply>(key) : undefined;
    if (hit) {
      this.stats.cachedCalls++;
      return { output: hit.output, tokenUsage: hit.tokenUsage, latencyMs: hit.latencyMs, cached: true, requests: 0 };
    }
    const outer = request.signal;
    let requests = 0;
    const usage: TokenUsage = { prompt: 0, completion: 0 };
    for (let retry = 0; ; retry++) {
      if (outer?.aborted) return { error: { kind: 'aborted', message: 'the run was interrupted' }, tokenUsage: usage, latencyMs: 0, requests };
      const response = await this.#semaphore.use(() => this.#attempt(provider, request));
      requests++;
      this.stats.requests++;
      usage.prompt += response.tokenUsage.prompt;
      usage.completion += response.tokenUsage.completion;
      this.stats.tokenUsage.prompt += response.tokenUsage.prompt;
      this.stats.tokenUsage.completion += response.tokenUsage.completion;
      if (!response.error) {
        this.stats.calls++;
        const output = response.output ?? '';
        if (this.#cache) this.#write(this.#cache, key, { output, tokenUsage: response.tokenUsage, latencyMs: response.latencyMs });
        return { output, tokenUsage: usage, latencyMs: response.latencyMs, requests };
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

  /** Wait for the cache writes still in flight; call before reporting a run finished. */
  async flush(): Promise<void> {
    while (this.#pendingWrites.size > 0) await Promise.all([...this.#pendingWrites]);
  }

  // Cache writes stay off the call's critical path: the reply is already in hand, and a lost write only
  // means a later run pays for the call again.
  #write(cache: KeyValueCache, key: string, value: CachedReply): void {
    const write = cache
      .set<CachedReply>(key, value)
      .catch(() => {
        this.stats.cacheWriteErrors++;
      })
      .finally(() => this.#pendingWrites.delete(write));
    this.#pendingWrites.add(write);
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
    return response;
  }
}

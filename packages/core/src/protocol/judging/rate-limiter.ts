// Per-provider rate limits and adaptive concurrency. One limiter per provider endpoint, shared by every judge of
// the process that calls it: requests/minute and tokens/minute as token buckets, and a concurrency limit that
// grows by one per round of successful calls (additive increase) and halves on a 429, a 5xx or a timeout
// (multiplicative decrease), never above `maxInFlight`. A 429's Retry-After pauses every call to the endpoint,
// not only the one that got it. A 429 also sets a learned requests/minute (the rate the server let through just
// before, a little under), which then creeps up while calls succeed: without `requestsPerMinute`, the limiter
// finds the server's rate itself; with it, the stricter of the two applies.
import type { ChatError, ChatModelProvider } from '../../contracts/chat-model-provider.js';
import { canonicalHash } from '../../util/canonical-hash.js';

/** The limits of one provider endpoint (`judges[].rateLimit`, `--rpm`, `--tpm`, `--max-in-flight`). */
export interface RateLimits {
  /** Requests started per minute, at most (paced evenly: at most a second's worth at once). */
  requestsPerMinute?: number;
  /** Prompt + completion tokens per minute, at most (estimated before a call, corrected by its reported usage). */
  tokensPerMinute?: number;
  /** The most calls in flight at once; the adaptive limit moves between 1 and this. */
  maxInFlight?: number;
}

/** Time for the limiter; tests pass a fake one. */
export interface LimiterClock {
  now(): number;
  /** Call `fn` after `ms`; returns a function that cancels it. */
  setTimer(fn: () => void, ms: number): () => void;
}

export const systemClock: LimiterClock = {
  now: () => performance.now(),
  setTimer: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};

export interface AdaptiveLimiterOptions extends RateLimits {
  /** The limit before any call has finished. Default min(maxInFlight, 4). */
  initialLimit?: number;
  /** The cap when `maxInFlight` is not given (a judge's concurrency); a later explicit `maxInFlight` replaces it. Default 4. */
  defaultMaxInFlight?: number;
  clock?: LimiterClock;
}

/** How a call the limiter let through ended. */
export interface PermitOutcome {
  error?: ChatError;
  /** Tokens the call was billed (prompt + completion), to correct the tokens/minute estimate. */
  tokens?: number;
}

export interface Permit {
  /** Give the slot back; call exactly once, with how the call ended. */
  release(outcome?: PermitOutcome): void;
}

/** Successes counted for the learned rate: those started within this window before a 429. */
const LEARN_WINDOW_MS = 3000;
/** A learned rate is this share of the rate the server let through. */
const LEARN_SHARE = 0.95;
/** Requests/minute added to a learned rate per success: about 2% a second at any rate. */
const LEARN_STEP_RPM = 1.2;

/** Failures that say the endpoint is overloaded: back off. */
function isOverload(error: ChatError): boolean {
  return error.kind === 'rate-limit' || error.kind === 'server' || error.kind === 'timeout';
}

interface Waiter {
  tokens: number;
  resolve: (permit: Permit) => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class AdaptiveLimiter {
  #maxInFlight: number;
  /** Whether the cap was given, not a judge's default: a default gives way to a given cap, given caps take the stricter. */
  #maxInFlightGiven: boolean;
  #requestsPerMinute: number | undefined;
  #tokensPerMinute: number | undefined;
  /** Requests/minute learned from 429s (undefined before the first). */
  #learnedRpm: number | undefined;
  /** Start times of recent successful requests, for the learned rate. */
  #successStarts: number[] = [];
  #firstGrantAt: number | undefined;
  readonly #clock: LimiterClock;
  /** The congestion window: fractional, so additive increase is 1/limit per success. */
  #window: number;
  /** No decrease yet: grow by one per success (doubling per round) until the first sign of overload. */
  #slowStart = true;
  /** Bumped on each decrease: a failure of a call started before the last decrease does not decrease again. */
  #epoch = 0;
  #inFlight = 0;
  #pausedUntil = 0;
  #requestBucket: number;
  #tokenBucket: number;
  #refilledAt: number;
  readonly #queue: Waiter[] = [];
  #cancelTimer: (() => void) | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  /** Times the limit was cut (429, 5xx, timeouts; once per round), for the progress line and benchmarks. */
  overloads = 0;

  constructor(options: AdaptiveLimiterOptions = {}) {
    this.#maxInFlight = Math.max(1, Math.floor(options.maxInFlight ?? options.defaultMaxInFlight ?? 4));
    this.#maxInFlightGiven = options.maxInFlight !== undefined;
    this.#requestsPerMinute = options.requestsPerMinute;
    this.#tokensPerMinute = options.tokensPerMinute;
    this.#clock = options.clock ?? systemClock;
    this.#window = Math.max(1, Math.min(this.#maxInFlight, options.initialLimit ?? 4));
    this.#requestBucket = this.#requestCapacity();
    this.#tokenBucket = this.#tokenCapacity();
    this.#refilledAt = this.#clock.now();
  }

  /** Calls allowed in flight now. */
  get limit(): number {
    return Math.min(this.#maxInFlight, Math.floor(this.#window));
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get maxInFlight(): number {
    return this.#maxInFlight;
  }

  get requestsPerMinute(): number | undefined {
    return this.#requestsPerMinute;
  }

  get tokensPerMinute(): number | undefined {
    return this.#tokensPerMinute;
  }

  /** Tighten, in place, to the stricter of these limits and the current ones (two judges naming the same endpoint). */
  tighten(limits: RateLimits): void {
    if (limits.maxInFlight !== undefined) {
      const given = Math.max(1, Math.floor(limits.maxInFlight));
      this.#maxInFlight = this.#maxInFlightGiven ? Math.min(this.#maxInFlight, given) : given;
      this.#maxInFlightGiven = true;
    }
    this.#window = Math.min(this.#window, this.#maxInFlight);
    this.#requestsPerMinute = minDefined(this.#requestsPerMinute, limits.requestsPerMinute);
    this.#tokensPerMinute = minDefined(this.#tokensPerMinute, limits.tokensPerMinute);
    this.#requestBucket = Math.min(this.#requestBucket, this.#requestCapacity());
    this.#tokenBucket = Math.min(this.#tokenBucket, this.#tokenCapacity());
  }

  /** For the progress line: `limit 6/16` (calls allowed in flight / most allowed), and the rates configured. */
  describe(): string {
    const learned = this.#learnedRpm !== undefined && (this.#requestsPerMinute === undefined || this.#learnedRpm < this.#requestsPerMinute) ? `~${Math.round(this.#learnedRpm)} rpm learned` : '';
    const rates = [this.#requestsPerMinute ? `${this.#requestsPerMinute} rpm` : '', learned, this.#tokensPerMinute ? `${this.#tokensPerMinute} tpm` : ''].filter(Boolean).join(', ');
    return `limit ${this.limit}/${this.#maxInFlight}${rates ? ` (${rates})` : ''}${this.overloads > 0 ? `, ${this.overloads} backoff${this.overloads === 1 ? '' : 's'}` : ''}`;
  }

  /** Wait for a slot (and for the buckets); `tokens` is the call's estimated prompt + completion tokens. */
  acquire(tokens = 0, signal?: AbortSignal): Promise<Permit> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<Permit>((resolve, reject) => {
      const waiter: Waiter = { tokens, resolve, reject };
      if (signal) {
        waiter.signal = signal;
        waiter.onAbort = () => {
          const at = this.#queue.indexOf(waiter);
          if (at >= 0) this.#queue.splice(at, 1);
          reject(signal.reason);
          this.#pump();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#queue.push(waiter);
      this.#pump();
    });
  }

  /** The requests/minute in force: the given one, or the learned one when lower. */
  #rpm(): number | undefined {
    return minDefined(this.#requestsPerMinute, this.#learnedRpm);
  }

  /** Requests/minute learned from the server's 429s; undefined before the first. */
  get learnedRequestsPerMinute(): number | undefined {
    return this.#learnedRpm;
  }

  #requestCapacity(): number {
    const rpm = this.#rpm();
    return rpm ? Math.max(1, rpm / 60) : Number.POSITIVE_INFINITY;
  }

  #tokenCapacity(): number {
    return this.#tokensPerMinute ? Math.max(1, this.#tokensPerMinute / 60) : Number.POSITIVE_INFINITY;
  }

  #refill(now: number): void {
    const elapsed = Math.max(0, now - this.#refilledAt);
    this.#refilledAt = now;
    const rpm = this.#rpm();
    if (rpm) this.#requestBucket = Math.min(this.#requestCapacity(), this.#requestBucket + (elapsed * rpm) / 60_000);
    if (this.#tokensPerMinute) this.#tokenBucket = Math.min(this.#tokenCapacity(), this.#tokenBucket + (elapsed * this.#tokensPerMinute) / 60_000);
  }

  /** Let waiters through in order while every limit allows; otherwise wake up when the next one will. */
  #pump(): void {
    while (this.#queue.length > 0) {
      if (this.#inFlight >= this.limit) return; // a release pumps again
      const now = this.#clock.now();
      this.#refill(now);
      const head = this.#queue[0] as Waiter;
      let waitMs = this.#pausedUntil - now;
      const rpm = this.#rpm();
      if (rpm && this.#requestBucket < 1) waitMs = Math.max(waitMs, ((1 - this.#requestBucket) * 60_000) / rpm);
      if (this.#tokensPerMinute) {
        const needed = Math.min(head.tokens, this.#tokenCapacity());
        if (this.#tokenBucket < needed) waitMs = Math.max(waitMs, ((needed - this.#tokenBucket) * 60_000) / this.#tokensPerMinute);
      }
      if (waitMs > 0) {
        this.#wakeAt(now + waitMs);
        return;
      }
      this.#queue.shift();
      if (head.signal && head.onAbort) head.signal.removeEventListener('abort', head.onAbort);
      this.#inFlight++;
      if (rpm) this.#requestBucket -= 1;
      if (this.#tokensPerMinute) this.#tokenBucket -= head.tokens;
      this.#firstGrantAt ??= now;
      head.resolve(this.#permit(head.tokens, now));
    }
  }

  #wakeAt(at: number): void {
    if (this.#cancelTimer && this.#timerAt <= at) return;
    this.#cancelTimer?.();
    this.#timerAt = at;
    this.#cancelTimer = this.#clock.setTimer(() => {
      this.#cancelTimer = undefined;
      this.#timerAt = Number.POSITIVE_INFINITY;
      this.#pump();
    }, Math.max(1, Math.ceil(at - this.#clock.now())));
  }

  #permit(estimated: number, startedAt: number): Permit {
    const epoch = this.#epoch;
    let released = false;
    return {
      release: (outcome: PermitOutcome = {}) => {
        if (released) return;
        released = true;
        this.#inFlight--;
        if (this.#tokensPerMinute && outcome.tokens !== undefined) this.#tokenBucket += estimated - outcome.tokens;
        if (!outcome.error) this.#grow(startedAt);
        else if (isOverload(outcome.error)) this.#backOff(outcome.error, epoch);
        this.#pump();
      },
    };
  }

  #grow(startedAt: number): void {
    this.#successStarts.push(startedAt);
    this.#forgetSuccessesBefore(this.#clock.now() - LEARN_WINDOW_MS);
    if (this.#learnedRpm !== undefined) this.#learnedRpm += LEARN_STEP_RPM;
    this.#window = Math.min(this.#maxInFlight, this.#window + (this.#slowStart ? 1 : 1 / this.#window));
  }

  #forgetSuccessesBefore(time: number): void {
    let drop = 0;
    while (drop < this.#successStarts.length && (this.#successStarts[drop] as number) < time) drop++;
    if (drop > 0) this.#successStarts.splice(0, drop);
  }

  #backOff(error: ChatError, epoch: number): void {
    const now = this.#clock.now();
    if (error.kind === 'rate-limit') {
      // The server counts differently from our bucket: start from empty.
      this.#requestBucket = Math.min(this.#requestBucket, 0);
      if (error.retryAfterMs !== undefined) this.#pausedUntil = Math.max(this.#pausedUntil, now + error.retryAfterMs);
    }
    // One decrease per round: calls sent before the last decrease report the same overload.
    if (epoch !== this.#epoch) return;
    if (error.kind === 'rate-limit') this.#learnRate(now);
    this.overloads++;
    this.#epoch++;
    this.#slowStart = false;
    this.#window = Math.max(1, Math.floor(this.#window / 2));
  }

  /** The rate the server let through lately (successful starts in the window), a little under: the new learned rate. */
  #learnRate(now: number): void {
    this.#forgetSuccessesBefore(now - LEARN_WINDOW_MS);
    if (this.#successStarts.length === 0 || this.#firstGrantAt === undefined) return;
    const spanMs = Math.max(250, Math.min(LEARN_WINDOW_MS, now - this.#firstGrantAt));
    this.#learnedRpm = Math.max(1, ((this.#successStarts.length * 60_000) / spanMs) * LEARN_SHARE);
  }
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/** What identifies an endpoint's limits: the provider and where it sends (its base URL), not the model. */
export function providerEndpointKey(provider: ChatModelProvider): string {
  const identity = provider.cacheIdentity as Record<string, unknown> | undefined;
  const where = typeof identity?.baseURL === 'string' ? identity.baseURL : canonicalHash(identity ?? {});
  return `${provider.id} ${where}`;
}

/** The limiters of one process, by endpoint: judges that call the same endpoint share one. */
export class ProviderLimiters {
  readonly #limiters = new Map<string, AdaptiveLimiter>();

  /**
   * The endpoint's limiter, made on first use (its cap `maxInFlight`, else `defaultMaxInFlight`). Limits given
   * again for the same endpoint tighten it (the stricter of each given one wins).
   */
  forEndpoint(key: string, limits: RateLimits, options: { defaultMaxInFlight?: number; clock?: LimiterClock } = {}): AdaptiveLimiter {
    const existing = this.#limiters.get(key);
    if (existing) {
      existing.tighten(limits);
      return existing;
    }
    const limiter = new AdaptiveLimiter({ ...limits, ...options });
    this.#limiters.set(key, limiter);
    return limiter;
  }

  get(key: string): AdaptiveLimiter | undefined {
    return this.#limiters.get(key);
  }
}

/** The process's limiters: `judgekit judge` and every judge of `judgekit run` share them. */
export const processProviderLimiters = new ProviderLimiters();

/** Whether any limit is set (without one, calls go at the fixed concurrency as before). */
export function hasRateLimits(limits: RateLimits | undefined): limits is RateLimits {
  return limits !== undefined && (limits.requestsPerMinute !== undefined || limits.tokensPerMinute !== undefined || limits.maxInFlight !== undefined);
}

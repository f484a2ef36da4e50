// A fake server's script behind a requests-per-minute limit, as providers enforce one: a token bucket holding a
// second's worth of requests, refilled evenly; a request over the limit gets a 429 at once, with `Retry-After`
// (seconds, rounded up) and `retry-after-ms` saying when the next one would pass.
import type { FakeReply, FakeScript } from './fake-llm-server.js';

export interface RequestRateLimit {
  requestsPerMinute: number;
  /** Requests that may arrive at once; default a second's worth (at least 1). */
  burst?: number;
  /** Milliseconds; default `performance.now`. */
  now?: () => number;
}

export interface RateLimitedScript {
  script: FakeScript;
  /** Requests answered by the wrapped script. */
  readonly served: number;
  /** Requests refused with a 429. */
  readonly rejected: number;
}

export function rateLimitedScript(inner: FakeScript, limit: RequestRateLimit): RateLimitedScript {
  const now = limit.now ?? (() => performance.now());
  const perMs = limit.requestsPerMinute / 60_000;
  const capacity = limit.burst ?? Math.max(1, limit.requestsPerMinute / 60);
  let bucket = capacity;
  let refilledAt = now();
  const counts = { served: 0, rejected: 0 };
  const script: FakeScript = (request) => {
    const at = now();
    bucket = Math.min(capacity, bucket + (at - refilledAt) * perMs);
    refilledAt = at;
    if (bucket < 1) {
      counts.rejected++;
      const waitMs = Math.ceil((1 - bucket) / perMs);
      const reply: FakeReply = { status: 429, retryAfter: String(Math.ceil(waitMs / 1000)), headers: { 'retry-after-ms': String(waitMs) }, errorMessage: `Rate limit reached: ${limit.requestsPerMinute} requests per minute` };
      return reply;
    }
    bucket -= 1;
    counts.served++;
    return inner(request);
  };
  return {
    script,
    get served() {
      return counts.served;
    },
    get rejected() {
      return counts.rejected;
    },
  };
}

// When to retry a failed call and how long to wait: exponential backoff with jitter, at least what the
// server asked for in Retry-After, never more than a cap.
import type { ChatError } from '../../contracts/chat-model-provider.js';

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Failures worth another try: the server may answer next time. */
export function isTransient(error: ChatError): boolean {
  return error.kind === 'rate-limit' || error.kind === 'server' || error.kind === 'timeout' || error.kind === 'network';
}

export interface BackoffOptions {
  baseMs?: number;
  capMs?: number;
  /** 0..1; returns a jitter fraction. */
  random?: () => number;
}

/**
 * Wait before retry number `attempt` (0 = first retry): base x 2^attempt with "equal jitter" (half fixed,
 * half random), raised to the server's Retry-After, and capped.
 */
export function retryDelayMs(attempt: number, retryAfterMs: number | undefined, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 500;
  const cap = options.capMs ?? 60_000;
  const random = options.random ?? Math.random;
  const exponential = Math.min(cap, base * 2 ** attempt);
  const jittered = exponential / 2 + (exponential / 2) * random();
  return Math.min(cap, Math.max(jittered, retryAfterMs ?? 0));
}

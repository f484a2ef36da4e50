import { describe, expect, it } from 'vitest';
import { isTransient, parseRetryAfter, retryDelayMs } from './retry-policy.js';

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    ['1', 1000],
    ['0', 0],
    [' 2.5 ', 2500],
    ['Thu, 01 Jan 2026 00:00:03 GMT', 3000],
    ['Wed, 31 Dec 2025 23:59:00 GMT', 0],
    ['soon', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%j -> %s ms', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });
});

describe('retryDelayMs', () => {
  it('doubles with half fixed, half jitter', () => {
    expect(retryDelayMs(0, undefined, { baseMs: 100, random: () => 0 })).toBe(50);
    expect(retryDelayMs(0, undefined, { baseMs: 100, random: () => 1 })).toBe(100);
    expect(retryDelayMs(3, undefined, { baseMs: 100, random: () => 1 })).toBe(800);
  });
  it('waits at least what Retry-After says, within the cap', () => {
    expect(retryDelayMs(0, 5000, { baseMs: 100, random: () => 0 })).toBe(5000);
    expect(retryDelayMs(0, 500_000, { baseMs: 100, capMs: 30_000 })).toBe(30_000);
    expect(retryDelayMs(20, undefined, { baseMs: 100, capMs: 1000, random: () => 1 })).toBe(1000);
  });
  it('retries only what may pass', () => {
    expect(isTransient({ kind: 'rate-limit', message: '' })).toBe(true);
    expect(isTransient({ kind: 'timeout', message: '' })).toBe(true);
    expect(isTransient({ kind: 'auth', message: '' })).toBe(false);
    expect(isTransient({ kind: 'bad-request', message: '' })).toBe(false);
  });
});

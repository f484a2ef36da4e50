import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalHash, canonicalJson } from './canonical-hash.js';
import { mapConcurrent, Semaphore } from './concurrency.js';
import { pathExists } from './path-exists.js';
import { formatDuration, formatProgress } from './progress.js';
import { seededRandom, shuffled } from './seeded-random.js';

describe('canonicalJson', () => {
  it.each([
    [{ b: 1, a: 2 }, '{"a":2,"b":1}'],
    [{ a: { d: 1, c: [3, { f: 1, e: 2 }] } }, '{"a":{"c":[3,{"e":2,"f":1}],"d":1}}'],
    [{ a: undefined, b: null }, '{"b":null}'],
    [[undefined, 1], '[null,1]'],
    [Number.NaN, '"NaN"'],
  ])('%j -> %s', (value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  it('hashes equal objects equally regardless of key order', () => {
    expect(canonicalHash({ x: 1, y: [1, 2] })).toBe(canonicalHash({ y: [1, 2], x: 1 }));
    expect(canonicalHash({ x: 1 })).not.toBe(canonicalHash({ x: 2 }));
  });
});

describe('seededRandom', () => {
  it('repeats for a seed and differs between seeds', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom('42');
    const first = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(first);
    expect(c()).not.toBe(first[0]);
    for (const value of first) expect(value >= 0 && value < 1).toBe(true);
  });

  it('shuffles into a permutation without touching the input', () => {
    const input = [1, 2, 3, 4, 5, 6, 7, 8];
    const out = shuffled(input, seededRandom(1));
    expect(input).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect([...out].sort((x, y) => x - y)).toEqual(input);
    expect(out).toEqual(shuffled(input, seededRandom(1)));
  });
});

describe('concurrency', () => {
  it('keeps order and never exceeds the limit', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapConcurrent([5, 1, 4, 2, 3], 2, async (value) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, value));
      inFlight--;
      return value * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });

  it('Semaphore limits and releases on failure', async () => {
    const semaphore = new Semaphore(1);
    await expect(semaphore.use(async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(await semaphore.use(async () => 7)).toBe(7);
  });
});

describe('progress', () => {
  it.each([
    [0, '0s'],
    [59.4, '59s'],
    [61, '1m01s'],
    [3725, '1h02m'],
  ])('formatDuration(%d) = %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('shows done, rate and ETA', () => {
    expect(formatProgress('judge', 10, 40, 5000)).toBe('judge 10/40 items | 2.00/s | ETA 15s');
    expect(formatProgress('judge', 0, 40, 0)).toBe('judge 0/40 items | 0.00/s | ETA ?');
  });
});

describe('pathExists', () => {
  it('is true for a file and a folder that exist, false for a missing path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'judgekit-exists-'));
    try {
      await writeFile(join(dir, 'a.txt'), 'x');
      expect(await pathExists(join(dir, 'a.txt'))).toBe(true);
      expect(await pathExists(dir)).toBe(true);
      expect(await pathExists(join(dir, 'missing.txt'))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

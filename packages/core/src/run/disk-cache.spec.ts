import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultCacheDir, DiskCache, MemoryCache } from './disk-cache.js';

describe('DiskCache', () => {
  it('stores and returns values by key, and misses unknown keys', async () => {
    const cache = new DiskCache(await mkdtemp(join(tmpdir(), 'cache-')));
    await cache.set('key-1', { output: 'hello', usage: [1, 2] });
    expect(await cache.get('key-1')).toEqual({ output: 'hello', usage: [1, 2] });
    expect(await cache.get('key-2')).toBeUndefined();
  });

  it('treats a corrupted entry as a miss and counts it', async () => {
    const cache = new DiskCache(await mkdtemp(join(tmpdir(), 'cache-')));
    await cache.set('k', { score: 10 });
    const path = cache.pathFor('k');
    await writeFile(path, (await readFile(path, 'utf8')).replace('10', '99'));
    expect(await cache.get('k')).toBeUndefined();
    expect(cache.corrupt).toBe(1);
    await writeFile(path, '{"truncated');
    expect(await cache.get('k')).toBeUndefined();
    expect(cache.corrupt).toBe(1); // distinct entries, however often they are read
    await cache.set('k2', { score: 1 });
    await writeFile(cache.pathFor('k2'), '');
    expect(await cache.get('k2')).toBeUndefined();
    expect(cache.corrupt).toBe(2);
  });

  it('uses JUDGEKIT_CACHE_DIR, then XDG_CACHE_HOME', () => {
    expect(defaultCacheDir({ JUDGEKIT_CACHE_DIR: '/x/y' })).toBe('/x/y');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/c' })).toBe('/c/judgekit');
  });
});

describe('MemoryCache', () => {
  it('returns copies, not the stored object', async () => {
    const cache = new MemoryCache();
    const value = { a: [1] };
    await cache.set('k', value);
    value.a.push(2);
    expect(await cache.get('k')).toEqual({ a: [1] });
  });
});

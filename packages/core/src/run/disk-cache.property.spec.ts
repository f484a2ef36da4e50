// Property tests of the on-disk call cache under damage: whatever bytes a cache file holds (torn, edited,
// swapped with another entry's, random), a read returns the value that was stored or a miss that is counted as
// corrupt, never a wrong value and never an exception; the next write repairs it.
import fc from 'fast-check';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskCache } from './disk-cache.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'judgekit-cache-property-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const value = fc.record({ output: fc.string({ maxLength: 60 }), tokenUsage: fc.record({ prompt: fc.nat(), completion: fc.nat() }), latencyMs: fc.double({ min: 0, max: 1e5, noNaN: true }) });

type Damage = { kind: 'cut'; fraction: number } | { kind: 'flip'; at: number; byte: number } | { kind: 'random'; bytes: Uint8Array } | { kind: 'swap' };
const damage: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({ kind: fc.constant('cut' as const), fraction: fc.double({ min: 0, max: 0.999, noNaN: true }) }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 200 }) }),
  fc.record({ kind: fc.constant('swap' as const) }),
);

describe('DiskCache with damaged files', () => {
  it('returns the stored value or a counted miss, never a wrong value, and a write repairs the entry', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(value, value, damage, async (stored, other, harm) => {
        const cache = new DiskCache(join(dir, String(n++)));
        await cache.set('key-a', stored);
        await cache.set('key-b', other);
        const path = cache.pathFor('key-a');
        const original = await readFile(path);
        let damaged: Uint8Array;
        if (harm.kind === 'cut') damaged = original.subarray(0, Math.floor(harm.fraction * original.length));
        else if (harm.kind === 'flip') {
          damaged = Uint8Array.from(original);
          damaged[harm.at % damaged.length] = harm.byte;
        } else if (harm.kind === 'random') damaged = harm.bytes;
        else damaged = await readFile(cache.pathFor('key-b'));
        await writeFile(path, damaged);

        const read = await cache.get<typeof stored>('key-a');
        const unchanged = Buffer.from(damaged).equals(original);
        if (read === undefined) expect(cache.corrupt).toBe(1);
        else {
          // A value that survives the damage must be exactly what was stored (e.g. a flip to the same byte).
          expect(read).toEqual(JSON.parse(JSON.stringify(stored)));
          expect(cache.corrupt).toBe(0);
        }
        if (unchanged) expect(read).toBeDefined();
        expect(await cache.get('key-b')).toEqual(JSON.parse(JSON.stringify(other)));

        await cache.set('key-a', stored);
        expect(await cache.get('key-a')).toEqual(JSON.parse(JSON.stringify(stored)));
      }),
      { numRuns: 150 },
    );
  });
});

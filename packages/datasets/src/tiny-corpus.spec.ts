import { sha256Hex } from '@judgekit/core';
import { describe, expect, it } from 'vitest';
import { factSentence, TINY_FACTS } from './tiny-facts.js';
import { tinyCorpus, tinyCorpusFacts } from './tiny-corpus.js';

describe('tinyCorpus', () => {
  it('is deterministic for a seed', () => {
    const a = tinyCorpus();
    expect(a).toHaveLength(200);
    expect(tinyCorpus()).toEqual(a);
    expect(tinyCorpus({ seed: 2 })).not.toEqual(a);
    expect(tinyCorpus({ count: 10 })).toEqual(a.slice(0, 10));
  });

  it('is pinned: the default corpus does not drift between versions', () => {
    expect(sha256Hex(JSON.stringify(tinyCorpus()))).toBe('f7db59814a7e7400fde3f79c06275bf8851d2ee3c42205b05db9cd117d8c3bca');
  });

  it('states every fact at least once by default', () => {
    const text = tinyCorpus().join('\n');
    for (const fact of TINY_FACTS) expect(text).toContain(factSentence(fact));
  });

  it('leaves out the facts a partial factShare drops', () => {
    const kept = tinyCorpusFacts({ factShare: 0.5, seed: 4 });
    expect(kept).toHaveLength(20);
    const dropped = TINY_FACTS.filter((f) => !kept.includes(f));
    const text = tinyCorpus({ factShare: 0.5, seed: 4 }).join('\n');
    for (const fact of kept) expect(text).toContain(factSentence(fact));
    for (const fact of dropped) {
      const name = fact.kind === 'capital' ? fact.capital : `${fact.thing} is`;
      expect(text.toLowerCase()).not.toContain(name.toLowerCase());
    }
    expect(tinyCorpusFacts({ factShare: 0 })).toEqual([]);
    expect(tinyCorpus({ factShare: 0, count: 5 }).every((d) => !/capital of|capital city/.test(d))).toBe(true);
  });

  it('writes documents of plain sentences with correct sums', () => {
    for (const doc of tinyCorpus({ count: 100, seed: 9 })) {
      expect(doc.length).toBeGreaterThan(20);
      for (const m of doc.matchAll(/(\d+) (\+|plus) (\d+) (=|is) (\d+)\./g)) expect(Number(m[5])).toBe(Number(m[1]) + Number(m[3]));
      for (const m of doc.matchAll(/(\d+) (\*|times) (\d+) (=|is) (\d+)\./g)) expect(Number(m[5])).toBe(Number(m[1]) * Number(m[3]));
    }
  });

  it.each([[{ factShare: 2 }], [{ factShare: -0.1 }], [{ count: -1 }]])('rejects %o', (options) => {
    expect(() => tinyCorpus(options)).toThrowError(/must be/);
  });
});

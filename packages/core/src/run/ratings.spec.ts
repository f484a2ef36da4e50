import { describe, expect, it } from 'vitest';
import type { RunItems } from './run-directory.js';
import { encodeRating, parseRatings, ratingFromSlots, ratingOrder, ratingRunId } from './ratings.js';

function runItems(itemCount: number, models: string[]): RunItems {
  return {
    items: Array.from({ length: itemCount }, (_, i) => ({ index: i + 10, instruction: `do ${i}`, input: '', output: `ref ${i}`, prompt: `p ${i}` })),
    models: models.map((name) => ({ name, responses: Array.from({ length: itemCount }, (_, i) => `${name} answer ${i}`) })),
  };
}

describe('ratingOrder', () => {
  it('puts every model in every slot equally often over whole blocks of items, for any rater', () => {
    for (const rater of ['ann', 'bob', 'a rater with spaces']) {
      const counts = [0, 1, 2].map(() => [0, 0, 0]);
      for (let p = 0; p < 12; p++) {
        const order = ratingOrder(rater, p, 3);
        expect([...order].sort()).toEqual([0, 1, 2]);
        order.forEach((m, slot) => (counts[m]![slot]! += 1));
      }
      expect(counts).toEqual([[4, 4, 4], [4, 4, 4], [4, 4, 4]]);
    }
  });

  it('is stable for one rater and differs between raters', () => {
    const sequence = (rater: string) => Array.from({ length: 12 }, (_, p) => ratingOrder(rater, p, 3).join(''));
    expect(sequence('ann')).toEqual(sequence('ann'));
    expect(sequence('ann')).not.toEqual(sequence('bob'));
  });
});

describe('ratingFromSlots', () => {
  const items = runItems(6, ['alpha', 'beta', 'gamma']);

  it('maps slot scores to the models shown in those slots and records the order, scale and time', () => {
    const order = ratingOrder('ann', 2, 3).map((m) => items.models[m]!.name);
    const record = ratingFromSlots(items, { rater: 'ann', item: 12, scale: '100', slotScores: [90, 50, 10], elapsedMs: 1234.4 }, () => new Date('2026-02-03T04:05:06Z'));
    expect(record.order).toEqual(order);
    expect(record.scores).toEqual({ [order[0]!]: 90, [order[1]!]: 50, [order[2]!]: 10 });
    expect(record).toMatchObject({ rater: 'ann', item: 12, scale: '100', time: '2026-02-03T04:05:06.000Z', elapsedMs: 1234 });
  });

  it.each([
    [{ rater: 'ann', item: 99, scale: '100', slotScores: [1, 2, 3] }, /item 99, which is not in items.json/],
    [{ rater: 'ann', item: 10, scale: '10', slotScores: [1, 11, 3] }, /Slot 2 has score 11 \(rater "ann", item 10\); the 10 scale takes integers 1-10/],
    [{ rater: 'ann', item: 10, scale: 'rank', slotScores: [1, 1, 2] }, /repeat a rank/],
    [{ rater: 'ann', item: 10, scale: '100', slotScores: [1, 2] }, /2 slot scores for 3 answers/],
    [{ rater: '', item: 10, scale: '100', slotScores: [1, 2, 3] }, /no rater id/],
  ] as const)('refuses %j with an error naming the item and field', (rating, message) => {
    expect(() => ratingFromSlots(items, { ...rating, slotScores: [...rating.slotScores] })).toThrow(message);
  });
});

describe('parseRatings', () => {
  it('keeps the latest line per rater and item, and reports torn or invalid lines by file and line', () => {
    const base = { item: 1, scale: '10' as const, order: ['a', 'b'], time: 't' };
    const text = [
      encodeRating({ ...base, rater: 'ann', scores: { a: 3, b: 4 } }),
      encodeRating({ ...base, rater: 'bob', scores: { a: 5, b: 6 } }),
      encodeRating({ ...base, rater: 'ann', scores: { a: 9, b: 1 } }),
      '{"rater":"ann","item":2,"scale":"7","order":[],"scores":{}}\n',
      '{"rater":"ann","item":3,',
    ].join('');
    const contents = parseRatings(text, 'run/ratings.jsonl');
    expect(contents.lines).toBe(5);
    expect(contents.ratings.map((r) => [r.rater, r.scores.a])).toEqual([['bob', 5], ['ann', 9]]);
    expect(contents.problems).toEqual(['run/ratings.jsonl line 4 skipped: field "scale" is not one of 100, 10, rank', 'run/ratings.jsonl line 5 skipped: incomplete last line (interrupted write)']);
  });

  it('fingerprints the models and items a page was made for', () => {
    expect(ratingRunId(runItems(3, ['a', 'b']))).toBe(ratingRunId(runItems(3, ['a', 'b'])));
    expect(ratingRunId(runItems(3, ['a', 'b']))).not.toBe(ratingRunId(runItems(3, ['a', 'c'])));
  });
});

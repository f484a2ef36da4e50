import { describe, expect, it } from 'vitest';
import { lengthSortedBatches } from './answer-batches.js';

describe('lengthSortedBatches', () => {
  it.each([
    [[3, 1, 2], 2, [[0, 2], [1]]],
    [[5, 5, 1, 9], 3, [[3, 0, 1], [2]]],
    [[], 4, []],
  ])('lengths %j, batch %i', (lengths, size, expected) => {
    expect(lengthSortedBatches(lengths, size)).toEqual(expected);
  });

  it('refuses batch size 0', () => {
    expect(() => lengthSortedBatches([1], 0)).toThrow(/batch size/);
  });
});

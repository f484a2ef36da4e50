import { describe, expect, it } from 'vitest';
import { aggregateScores, aggregateValues, itemScore } from './score-aggregate.js';

describe('aggregateScores', () => {
  it.each([
    // 80 + 60 + 10 = 150 over 3 parsed items = 50; over all 5 items = 30.
    [[80, null, 60, 10, null], 50, 30],
    [[100], 100, 100],
    [[null, null], null, 0],
    [[], null, null],
    [[0, 0, 1], 1 / 3, 1 / 3],
  ])('%j: drop-failed %s, failed-as-zero %s', (scores, dropped, zeroed) => {
    expect(aggregateScores(scores, 'drop-failed')).toBe(dropped);
    expect(aggregateScores(scores, 'failed-as-zero')).toBe(zeroed);
  });

  it('gives the values each rule averages', () => {
    expect(aggregateValues([5, null, 7], 'drop-failed')).toEqual([5, 7]);
    expect(aggregateValues([5, null, 7], 'failed-as-zero')).toEqual([5, 0, 7]);
  });
});

describe('itemScore', () => {
  it.each([
    [[40, 60], 50, 50],
    [[40, null], 40, 20],
    [[null, null], null, 0],
    [[90], 90, 90],
  ])('repeats %j: drop-failed %s, failed-as-zero %s', (repeats, dropped, zeroed) => {
    expect(itemScore(repeats, 'drop-failed')).toBe(dropped);
    expect(itemScore(repeats, 'failed-as-zero')).toBe(zeroed);
  });
});

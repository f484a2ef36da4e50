import { describe, expect, it } from 'vitest';
import { lcsLength, rougeLF1, rougeLScore, wordTokens } from './rouge-l.js';

describe('wordTokens', () => {
  it('lower-cases and keeps words and numbers', () => {
    expect(wordTokens("The car's speed: 100 km/h, isn't it?")).toEqual(["the", "car's", 'speed', '100', 'km', 'h', "isn't", 'it']);
  });
});

describe('lcsLength', () => {
  it.each([
    [['a', 'b', 'c', 'd'], ['a', 'c', 'd'], 3],
    [['a', 'b'], ['c'], 0],
    [[], ['a'], 0],
    [['x', 'a', 'y', 'b'], ['a', 'b', 'x'], 2],
  ])('%j vs %j = %d', (a, b, n) => {
    expect(lcsLength(a, b)).toBe(n);
    expect(lcsLength(b, a)).toBe(n);
  });
});

describe('rougeLScore', () => {
  it.each([
    // LCS 6 of 8 answer / 7 reference tokens: F1 = 2*(6/8)*(6/7)/((6/8)+(6/7)) = 0.8.
    ['The car is as fast as a bullet.', 'The car is as fast as lightning.', 80],
    ['identical text', 'Identical TEXT!', 100],
    ['nothing shared', 'completely different', 0],
    ['', '', 100],
    ['', 'reference', 0],
    ['answer', '', 0],
    // LCS "a c" = 2 of 3 / 2: P = 2/3, R = 1, F1 = 0.8.
    ['a b c', 'a c', 80],
  ])('%j vs %j = %d', (answer, reference, score) => {
    expect(rougeLScore(answer, reference)).toBe(score);
  });

  it('is symmetric in F1', () => {
    expect(rougeLF1('one two three four', 'two four five')).toBeCloseTo(rougeLF1('two four five', 'one two three four'), 12);
  });
});

import { describe, expect, it } from 'vitest';
import { seededRandom } from '@judgekit/core';
import { argmax, sampleToken, validateSamplingOptions } from './token-sampler.js';

function counts(logits: number[], options: Parameters<typeof sampleToken>[1], draws = 4000): number[] {
  const random = seededRandom(7);
  const seen = new Array<number>(logits.length).fill(0);
  for (let i = 0; i < draws; i++) {
    const token = sampleToken(logits, options, random);
    seen[token] = (seen[token] ?? 0) + 1;
  }
  return seen;
}

describe('argmax', () => {
  it.each([
    [[1, 3, 2], 1],
    [[5, 5, 1], 0],
    [[-Infinity, -3, -4], 1],
    [[0], 0],
  ])('argmax(%j) = %i', (logits, expected) => {
    expect(argmax(logits)).toBe(expected);
  });

  it('reads one row of a batch', () => {
    expect(argmax(Float32Array.from([9, 0, 0, 1, 2, 0]), 3, 3)).toBe(1);
  });
});

describe('sampleToken', () => {
  it('is greedy without a temperature', () => {
    expect(sampleToken([0, 2, 1], {}, () => 0.99)).toBe(1);
    expect(sampleToken([0, 2, 1], { temperature: 0, topK: 3 }, () => 0.99)).toBe(1);
  });

  it('top-k 1 is greedy whatever the draw', () => {
    expect(counts([0, 2, 1], { temperature: 1, topK: 1 }, 200)).toEqual([0, 200, 0]);
  });

  it('top-k 2 never draws the third token', () => {
    const seen = counts([0, 2, 1], { temperature: 1, topK: 2 });
    expect(seen[0]).toBe(0);
    expect((seen[1] ?? 0) > (seen[2] ?? 0)).toBe(true);
  });

  it('draws in proportion to softmax at temperature 1', () => {
    const seen = counts([Math.log(1), Math.log(3)], { temperature: 1 }, 8000);
    expect((seen[1] ?? 0) / 8000).toBeCloseTo(0.75, 1);
  });

  it('a high temperature flattens the distribution', () => {
    const seen = counts([0, Math.log(9)], { temperature: 100 }, 8000);
    expect((seen[0] ?? 0) / 8000).toBeGreaterThan(0.4);
  });

  it('top-p keeps the smallest set that reaches p', () => {
    // probabilities 0.6, 0.3, 0.1: p = 0.5 keeps one token, p = 0.85 keeps two.
    const logits = [Math.log(0.6), Math.log(0.3), Math.log(0.1)];
    expect(counts(logits, { temperature: 1, topP: 0.5 }, 300)).toEqual([300, 0, 0]);
    const two = counts(logits, { temperature: 1, topP: 0.85 });
    expect(two[2]).toBe(0);
    expect(two[1]).toBeGreaterThan(0);
  });

  it('repeats with the same seed', () => {
    const logits = Array.from({ length: 50 }, (_, i) => Math.sin(i));
    const a = counts(logits, { temperature: 0.8, topK: 10, topP: 0.9 }, 50);
    const b = counts(logits, { temperature: 0.8, topK: 10, topP: 0.9 }, 50);
    expect(a).toEqual(b);
  });
});

describe('validateSamplingOptions', () => {
  it.each([[{ temperature: -1 }], [{ topK: 1.5 }], [{ topP: 0 }], [{ topP: 1.2 }], [{ temperature: Number.NaN }]])('rejects %j', (options) => {
    expect(() => validateSamplingOptions(options)).toThrow();
  });

  it('accepts sensible settings', () => {
    expect(() => validateSamplingOptions({ temperature: 0.7, topK: 40, topP: 0.95 })).not.toThrow();
  });
});

import { describe, expect, it } from 'vitest';
import { scoreDistribution } from './score-distribution.js';

const lp = Math.log;

describe('scoreDistribution', () => {
  it('reads the expected score 0.5*80 + 0.3*85 + 0.1*90 = 74.5 / 0.9 from the alternatives of a one-token score', () => {
    const tokens = [
      {
        token: '80',
        logprob: lp(0.5),
        top: [
          { token: '80', logprob: lp(0.5) },
          { token: '85', logprob: lp(0.3) },
          { token: ' 90', logprob: lp(0.1) },
          { token: 'The', logprob: lp(0.1) },
        ],
      },
    ];
    const result = scoreDistribution('80', 80, tokens);
    expect('expected' in result).toBe(true);
    if (!('expected' in result)) return;
    expect(result.mass).toBeCloseTo(0.9, 12);
    expect(result.expected).toBeCloseTo((0.5 * 80 + 0.3 * 85 + 0.1 * 90) / 0.9, 12);
    expect(result.probabilities).toEqual({ '80': expect.closeTo(0.5 / 0.9, 12), '85': expect.closeTo(0.3 / 0.9, 12), '90': expect.closeTo(0.1 / 0.9, 12) });
  });

  it('finds the score token after prose ("Score: 7") and adds up alternatives that differ only by a space', () => {
    const tokens = [
      { token: 'Score', logprob: 0, top: [] },
      { token: ':', logprob: 0, top: [] },
      { token: ' 7', logprob: lp(0.6), top: [{ token: ' 7', logprob: lp(0.6) }, { token: '7', logprob: lp(0.2) }, { token: ' 9', logprob: lp(0.2) }] },
    ];
    const result = scoreDistribution('Score: 7', 7, tokens);
    if (!('expected' in result)) throw new Error(JSON.stringify(result));
    expect(result.probabilities).toEqual({ '7': expect.closeTo(0.8, 12), '9': expect.closeTo(0.2, 12) });
    expect(result.expected).toBeCloseTo(7.4, 12);
  });

  it('drops numbers outside the 0-100 scale from the distribution', () => {
    const tokens = [{ token: '100', logprob: lp(0.5), top: [{ token: '100', logprob: lp(0.5) }, { token: '1000', logprob: lp(0.5) }] }];
    const result = scoreDistribution('100', 100, tokens);
    if (!('expected' in result)) throw new Error(JSON.stringify(result));
    expect(result.expected).toBe(100);
    expect(result.mass).toBeCloseTo(0.5, 12);
  });

  it('records no distribution, and says why, when the score spans two tokens ("8" then "5")', () => {
    const tokens = [
      { token: '8', logprob: lp(0.7), top: [{ token: '8', logprob: lp(0.7) }, { token: '9', logprob: lp(0.3) }] },
      { token: '5', logprob: lp(0.9), top: [{ token: '5', logprob: lp(0.9) }] },
    ];
    const result = scoreDistribution('85', 85, tokens);
    expect(result).toEqual({ unavailable: expect.stringContaining('spans 2 tokens ("8", "5")') });
  });

  it('says so when the provider sent no log-probabilities', () => {
    expect(scoreDistribution('85', 85, undefined)).toEqual({ unavailable: 'the provider returned no token log-probabilities' });
  });
});

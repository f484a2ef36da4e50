import { describe, expect, it } from 'vitest';
import { fmt, fmtCI, fmtInt, fmtPct, fmtSigned } from './format-number.js';

describe('number formatting', () => {
  it.each([
    [fmt(12.345, 2), '12.35'],
    [fmt(Number.NaN), '—'],
    [fmtCI([1, 2.25], 1), '[1.0, 2.3]'],
    [fmtCI([Number.NaN, 1]), '—'],
    [fmtPct(0.125, 1), '12.5%'],
    [fmtSigned(3), '+3.0'],
    [fmtSigned(-0.5), '-0.5'],
    [fmtInt(12345.6), '12,346'],
  ])('%s = %s', (actual, expected) => {
    expect(actual).toBe(expected);
  });
});

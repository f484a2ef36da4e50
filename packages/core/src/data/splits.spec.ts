import { describe, expect, it } from 'vitest';
import { splitDataset, splitSizes } from './splits.js';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('splitSizes', () => {
  it.each([
    [1100, {}, [935, 110, 55]],
    [10, {}, [8, 1, 1]],
    [0, {}, [0, 0, 0]],
    [1, {}, [0, 0, 1]],
    [2, {}, [1, 0, 1]],
    [3, {}, [2, 0, 1]],
    [20, {}, [17, 2, 1]],
    [100, {}, [85, 10, 5]],
    [300, {}, [255, 30, 15]],
    [10, { train: 0.5, test: 0.5 }, [5, 5, 0]],
    [10, { train: 1, test: 0 }, [10, 0, 0]],
    [7, { train: 0, test: 0 }, [0, 0, 7]],
    [1100, { train: 0.8 }, [880, 110, 110]],
  ] as const)('n=%i %o → %o', (n, options, [train, test, validation]) => {
    expect(splitSizes(n, options)).toEqual({ train, test, validation });
  });

  it('matches Python int(n * fraction), float quirks included', () => {
    // 0.85 * 20 is exactly 17 in doubles, but 0.1 * 30 = 3.0000000000000004 and 0.85 * 60 = 51
    for (let n = 0; n <= 2000; n++) {
      const sizes = splitSizes(n);
      expect(sizes.train).toBe(Math.floor(n * 0.85));
      expect(sizes.train + sizes.test + sizes.validation).toBe(n);
    }
  });

  it.each([
    [{ train: -0.1 }, /`train` must be a number from 0 to 1/],
    [{ test: 1.5 }, /`test` must be a number from 0 to 1/],
    [{ train: Number.NaN }, /`train` must be a number/],
    [{ train: 0.9, test: 0.2 }, /add up to more than 1/],
  ])('rejects bad fractions %o', (options, message) => {
    expect(() => splitSizes(10, options)).toThrowError(message);
  });
});

describe('splitDataset', () => {
  it('splits in file order: train, then test, then validation', () => {
    const split = splitDataset(range(1100));
    expect(split.train).toEqual(range(935));
    expect(split.test).toEqual(range(110).map((i) => 935 + i));
    expect(split.validation).toEqual(range(55).map((i) => 1045 + i));
    expect(split.ranges).toEqual({ train: { start: 0, end: 935 }, test: { start: 935, end: 1045 }, validation: { start: 1045, end: 1100 } });
    expect(split.indices.test[0]).toBe(935);
  });

  it('handles n = 10 and tiny sets', () => {
    expect(splitDataset(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'])).toMatchObject({ train: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'], test: ['i'], validation: ['j'] });
    expect(splitDataset([])).toMatchObject({ train: [], test: [], validation: [] });
    expect(splitDataset(['a'])).toMatchObject({ train: [], test: [], validation: ['a'] });
    expect(splitDataset(['a', 'b', 'c'])).toMatchObject({ train: ['a', 'b'], test: [], validation: ['c'] });
  });

  it('shuffles reproducibly with a seed, keeping every item exactly once', () => {
    const a = splitDataset(range(50), { shuffleSeed: 7 });
    const b = splitDataset(range(50), { shuffleSeed: 7 });
    const c = splitDataset(range(50), { shuffleSeed: 8 });
    expect(a).toEqual(b);
    expect(a.train).not.toEqual(c.train);
    expect(a.train).not.toEqual(range(42));
    expect([...a.train, ...a.test, ...a.validation].sort((x, y) => x - y)).toEqual(range(50));
    // items and their original indices line up
    expect(a.test).toEqual(a.indices.test);
  });

  it('maps original indices to records', () => {
    const records = range(20).map((i) => ({ id: `r${i}` }));
    const split = splitDataset(records, { shuffleSeed: 'x', train: 0.5, test: 0.25 });
    expect(split.train.length).toBe(10);
    expect(split.test.length).toBe(5);
    split.indices.validation.forEach((index, position) => expect(split.validation[position]).toBe(records[index]));
  });
});

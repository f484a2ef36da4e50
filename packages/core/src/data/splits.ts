// The book's train/test/validation split, generalised: fractions are configurable and an optional seeded shuffle
// comes first. The default reproduces `int(n * 0.85)` / `int(n * 0.1)` exactly, in the book's order.
import { JudgekitError } from '../errors.js';
import type { DatasetSplits } from '../contracts/instruction-dataset.js';
import { seededRandom, shuffled } from '../util/seeded-random.js';

export interface SplitOptions {
  /** Fraction for training; default 0.85. */
  train?: number;
  /** Fraction for test; default 0.10. Validation gets the rest. */
  test?: number;
  /** Shuffle (mulberry32, seeded) before splitting. Default: no shuffle, file order, as the book does. */
  shuffleSeed?: number | string;
}

/** Half-open range `[start, end)` of positions in the (possibly shuffled) order. */
export interface SplitRange {
  start: number;
  end: number;
}

export interface DatasetSplitResult<T> extends DatasetSplits<T> {
  /** Positions in the order used (file order, or the shuffled order). Order: train, test, validation. */
  ranges: { train: SplitRange; test: SplitRange; validation: SplitRange };
  /** Original (file) index of every item of each split, in split order. */
  indices: { train: number[]; test: number[]; validation: number[] };
}

const BOOK_SPLIT = Object.freeze({ train: 0.85, test: 0.1 });

function checkFraction(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new JudgekitError('config', `Split fraction \`${name}\` must be a number from 0 to 1, got ${String(value)}.`, {
      location: `split.${name}`,
    });
  }
  return value;
}

/** Split sizes for `n` items: `floor(n * train)`, `floor(n * test)`, the rest (as Python's `int()` does). */
export function splitSizes(n: number, options: Pick<SplitOptions, 'train' | 'test'> = {}): { train: number; test: number; validation: number } {
  if (!Number.isInteger(n) || n < 0) throw new JudgekitError('internal', `splitSizes: n must be a non-negative integer, got ${n}.`);
  const train = checkFraction('train', options.train ?? BOOK_SPLIT.train);
  const test = checkFraction('test', options.test ?? BOOK_SPLIT.test);
  if (train + test > 1 + 1e-12) {
    throw new JudgekitError('config', `Split fractions train (${train}) + test (${test}) add up to more than 1; validation gets the rest, so keep the sum at most 1.`, {
      location: 'split',
    });
  }
  const trainCount = Math.floor(n * train);
  const testCount = Math.min(Math.floor(n * test), n - trainCount);
  return { train: trainCount, test: testCount, validation: n - trainCount - testCount };
}

/** Split records into train, test and validation (in that order of positions). */
export function splitDataset<T>(records: readonly T[], options: SplitOptions = {}): DatasetSplitResult<T> {
  const sizes = splitSizes(records.length, options);
  let order = records.map((_, index) => index);
  if (options.shuffleSeed !== undefined) order = shuffled(order, seededRandom(options.shuffleSeed));
  const ranges = {
    train: { start: 0, end: sizes.train },
    test: { start: sizes.train, end: sizes.train + sizes.test },
    validation: { start: sizes.train + sizes.test, end: records.length },
  };
  const indices = {
    train: order.slice(ranges.train.start, ranges.train.end),
    test: order.slice(ranges.test.start, ranges.test.end),
    validation: order.slice(ranges.validation.start, ranges.validation.end),
  };
  const pick = (list: number[]): T[] => list.map((index) => records[index] as T);
  return { train: pick(indices.train), test: pick(indices.test), validation: pick(indices.validation), ranges, indices };
}

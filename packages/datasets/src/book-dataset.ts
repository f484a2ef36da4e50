// Where the book's dataset lives. Used at run time only: the project never commits the book's data and tests
// never download it.
import type { DatasetSource } from '@judgekit/core';

export const BOOK_DATASET = Object.freeze({
  name: 'alpaca-book',
  url: 'https://raw.githubusercontent.com/rasbt/LLMs-from-scratch/main/ch07/01_main-chapter-code/instruction-data.json',
  sha256: '7e09a9af353722ca15c18bc580f093f9c39d3178335a75177319cb1e1d163944',
  records: 1100,
  /** Records with an empty `input`. */
  emptyInput: 775,
  split: Object.freeze({ train: 935, test: 110, validation: 55 }),
  licence: 'Apache-2.0 (repository rasbt/LLMs-from-scratch, Copyright Sebastian Raschka); keep the attribution.',
});

/** The book dataset as a pinned source; pass `cacheDir` to override the cache location. */
export function bookDatasetSource(cacheDir?: string): DatasetSource {
  return { location: BOOK_DATASET.url, sha256: BOOK_DATASET.sha256, ...(cacheDir !== undefined ? { cacheDir } : {}) };
}

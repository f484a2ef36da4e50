// BOOK_DATASET is for run time; tests never download it. When the shared folder's copy is present, the pin and
// counts are checked against it through the real loader.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { splitDataset } from '@judgekit/core';
import { describe, expect, it } from 'vitest';
import { loadAlpacaDataset } from './alpaca-dataset-loader.js';
import { BOOK_DATASET, bookDatasetSource } from './book-dataset.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const sharedCopy = resolve(repoRoot, '../shared/data/alpaca-book/instruction-data.json');
const has = existsSync(sharedCopy);

describe('BOOK_DATASET', () => {
  it('is a pinned source', () => {
    expect(bookDatasetSource()).toEqual({ location: BOOK_DATASET.url, sha256: BOOK_DATASET.sha256 });
    expect(bookDatasetSource('/tmp/x')).toMatchObject({ cacheDir: '/tmp/x' });
    expect(BOOK_DATASET.split.train + BOOK_DATASET.split.test + BOOK_DATASET.split.validation).toBe(BOOK_DATASET.records);
  });

  it.skipIf(!has)(`matches the shared copy${has ? '' : ` (skipped: ${sharedCopy} is absent)`}`, async () => {
    const loaded = await loadAlpacaDataset({ location: sharedCopy, sha256: BOOK_DATASET.sha256 });
    expect(loaded.records).toHaveLength(BOOK_DATASET.records);
    expect(loaded.records.filter((r) => r.input === '')).toHaveLength(BOOK_DATASET.emptyInput);
    const split = splitDataset(loaded.records);
    expect({ train: split.train.length, test: split.test.length, validation: split.validation.length }).toEqual(BOOK_DATASET.split);
  });
});

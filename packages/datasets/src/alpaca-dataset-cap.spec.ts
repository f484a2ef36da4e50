// Dataset files too big to decode are refused before they are read, with the size, the cap and the way out.
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAlpacaDataset } from './alpaca-dataset-loader.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'judgekit-dataset-cap-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('dataset size cap', () => {
  it('refuses a file over the cap, naming the file, its size and JUDGEKIT_MAX_DATASET_BYTES', async () => {
    const file = join(dir, 'big.json');
    await writeFile(file, JSON.stringify([{ instruction: 'a', input: '', output: 'b' }]));
    await expect(loadAlpacaDataset({ location: file }, { maxBytes: 10 })).rejects.toThrow(new RegExp(`Dataset ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is 0\\.0 MiB, over the 0\\.0 MiB cap.*JUDGEKIT_MAX_DATASET_BYTES`));
    await expect(loadAlpacaDataset({ location: file }, { maxBytes: 1000 })).resolves.toMatchObject({ records: [{ instruction: 'a' }] });
  });

  it('a file bigger than a string can hold (600 MiB, sparse) gets the cap error, not ERR_STRING_TOO_LONG', async () => {
    const file = join(dir, 'huge.jsonl');
    await writeFile(file, '');
    await truncate(file, 600 * 2 ** 20);
    await expect(loadAlpacaDataset({ location: file })).rejects.toThrow(/is 600\.0 MiB, over the 256\.0 MiB cap/);
  });
});

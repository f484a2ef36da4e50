import { JudgekitError } from '@judgekit/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_INSTRUCTION, WordsDataset, wordsRecords } from './words-dataset.js';

describe('wordsRecords', () => {
  it.each([
    { count: 0, options: {}, expected: [] },
    { count: 2, options: {}, expected: ['apple 0', 'river 1'] },
    { count: 3, options: { words: ['a', 'b'] }, expected: ['a 0', 'b 1', 'a 2'] },
  ])('words:$count with $options', ({ count, options, expected }) => {
    const records = wordsRecords(count, options);
    expect(records.map((record) => record.input)).toEqual(expected);
    for (const record of records) {
      expect(record.output).toBe(record.input);
      expect(record.instruction).toBe(DEFAULT_INSTRUCTION);
    }
  });

  it('uses the given instruction', () => {
    expect(wordsRecords(1, { instruction: 'Say it.' })[0]?.instruction).toBe('Say it.');
  });
});

describe('WordsDataset', () => {
  const dataset = new WordsDataset();

  it('loads words:N with a checksum of the records', async () => {
    const first = await dataset.load({ location: 'words:5' });
    const again = await dataset.load({ location: 'words:5', sha256: first.sha256 });
    expect(first.records).toHaveLength(5);
    expect(again.sha256).toBe(first.sha256);
    expect((await dataset.load({ location: 'words:5', options: { words: ['x'] } })).sha256).not.toBe(first.sha256);
  });

  it.each([
    { source: { location: 'data.json' }, kind: 'dataset', message: /reads locations like "words:20", not "data\.json"/ },
    { source: { location: 'words:3', sha256: 'f'.repeat(64) }, kind: 'checksum', message: /words:3 has SHA-256 [0-9a-f]{64}, not the pinned f{64}/ },
  ])('refuses $source.location with a $kind error', async ({ source, kind, message }) => {
    const error = await dataset.load(source).catch((caught: unknown) => caught);
    expect(JudgekitError.is(error, kind as 'dataset')).toBe(true);
    expect((error as Error).message).toMatch(message);
  });
});

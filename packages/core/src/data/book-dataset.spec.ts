// The book's dataset and answers from the shared folder (never committed here): the split must match the study's.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateAlpacaRecords } from './alpaca-record.js';
import { loadAnswerFile } from './answer-file.js';
import { formatAlpacaPrompt } from './prompt-template.js';
import { splitDataset } from './splits.js';

// packages/core/src/data → repo root is four levels up; the shared folder sits beside the repo.
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const bookData = resolve(repoRoot, '../shared/data/alpaca-book/instruction-data.json');
const bookAnswers = resolve(repoRoot, '../shared/data/book-answers/instruction-data-with-response.json');
const has = existsSync(bookData) && existsSync(bookAnswers);

describe.skipIf(!has)(`book dataset split${has ? '' : ` (skipped: ${bookData} or ${bookAnswers} is absent)`}`, () => {
  it('splits 1100 records into 935/110/55 with the study test items', async () => {
    const records = validateAlpacaRecords(JSON.parse(await readFile(bookData, 'utf8')), bookData);
    expect(records).toHaveLength(1100);
    expect(records.filter((r) => r.input === '')).toHaveLength(775);
    const split = splitDataset(records);
    expect([split.train.length, split.test.length, split.validation.length]).toEqual([935, 110, 55]);
    expect(split.indices.test[0]).toBe(935);
    expect(split.indices.test.at(-1)).toBe(1044);
    expect(split.test[0]).toEqual({ instruction: 'Rewrite the sentence using a simile.', input: 'The car is very fast.', output: 'The car is as fast as lightning.' });
    expect(split.validation[0]?.instruction.startsWith('Convert the active sentence to passive')).toBe(true);
    expect([split.train, split.test, split.validation].map((s) => s.filter((r) => r.input === '').length)).toEqual([657, 80, 38]);
    expect(formatAlpacaPrompt(split.test[0]!)).toBe(
      'Below is an instruction that describes a task. Write a response that appropriately completes the request.' +
        '\n\n### Instruction:\nRewrite the sentence using a simile.\n\n### Input:\nThe car is very fast.',
    );

    const answers = await loadAnswerFile(bookAnswers);
    expect(answers.name).toBe('instruction-data-with-response');
    expect(answers.records).toHaveLength(110);
    answers.records.forEach((answer, i) => {
      const expected = split.test[i]!;
      expect({ instruction: answer.instruction, input: answer.input, output: answer.output }).toEqual(expected);
    });
    expect(answers.records[0]?.model_response).toBe('The car is as fast as a bullet.');
  });
});

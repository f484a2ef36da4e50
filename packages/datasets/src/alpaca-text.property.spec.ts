// Property tests of the dataset text parser: any file text (random bytes, broken JSON, JSONL with bad lines,
// truncated downloads) loads or fails with a JudgekitError naming the file, and record-level failures name the
// record or line and the field.
import { JudgekitError } from '@judgekit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAlpacaText, type AlpacaTextFormat } from './alpaca-text.js';

const RUNS = { numRuns: 300 };

const goodRecord = fc.record({ instruction: fc.string({ maxLength: 30 }), input: fc.string({ maxLength: 10 }), output: fc.string({ maxLength: 30 }) });
const anyRecord = fc.oneof(
  { weight: 4, arbitrary: goodRecord },
  { weight: 1, arbitrary: fc.record({ instruction: fc.jsonValue({ maxDepth: 1 }), input: fc.jsonValue({ maxDepth: 1 }), output: fc.jsonValue({ maxDepth: 1 }) }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);
const name = fc.constantFrom('data.json', 'data.jsonl', 'download.txt', 'https://host/alpaca.json?sig=x', 'dir with space/set.ndjson');
const format = fc.constantFrom<AlpacaTextFormat | undefined>(undefined, 'json', 'jsonl');

/** Truncated, spliced and byte-flipped versions of real dataset text. */
const datasetText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.array(anyRecord, { maxLength: 6 }).map((records) => JSON.stringify(records, null, 2)),
  fc.array(anyRecord, { maxLength: 6 }).map((records) => records.map((record) => JSON.stringify(record)).join('\n')),
  fc.tuple(fc.array(goodRecord, { minLength: 1, maxLength: 6 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean()).map(([records, fraction, lines]) => {
    const text = lines ? records.map((record) => JSON.stringify(record)).join('\n') : JSON.stringify(records);
    return text.slice(0, Math.floor(fraction * text.length));
  }),
  fc.tuple(fc.array(goodRecord, { minLength: 1, maxLength: 6 }), fc.nat(), fc.string({ unit: 'binary', minLength: 1, maxLength: 3 })).map(([records, at, junk]) => {
    const text = records.map((record) => JSON.stringify(record)).join('\n');
    const position = at % (text.length + 1);
    return text.slice(0, position) + junk + text.slice(position);
  }),
);

describe('parseAlpacaText on any text', () => {
  it('returns records or throws a JudgekitError naming the file and, for a bad record, its place', () => {
    fc.assert(
      fc.property(datasetText, name, format, (text, file, chosen) => {
        let records;
        try {
          records = parseAlpacaText(text, file, chosen);
        } catch (error) {
          expect(JudgekitError.is(error, 'dataset')).toBe(true);
          const problem = error as JudgekitError;
          expect(problem.file).toBe(file);
          expect(problem.message).toContain(file);
          // Every failure names its place: the record (JSON) or line (JSONL) and the field, or for a JSON syntax
          // error the line and column, which lie inside the text.
          expect(problem.location).toMatch(/^(top level|record \d+|line \d+)(, column \d+|, field (instruction|input|output))?$/);
          const at = /^line (\d+), column (\d+)$/.exec(problem.location ?? '');
          if (at) {
            const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split('\n');
            expect(Number(at[1])).toBeLessThanOrEqual(lines.length);
            expect(Number(at[2])).toBeLessThanOrEqual((lines[Number(at[1]) - 1] as string).length + 1);
          }
          return;
        }
        for (const record of records) {
          expect(typeof record.instruction).toBe('string');
          expect(typeof record.input).toBe('string');
          expect(typeof record.output).toBe('string');
        }
      }),
      RUNS,
    );
  });

  it('names the 1-based line of the first bad JSONL line', () => {
    fc.assert(
      fc.property(fc.array(goodRecord, { minLength: 1, maxLength: 6 }), fc.nat(), fc.constantFrom('{"instruction": 1}', 'not json', '[]', '{"instruction":"a"'), (records, at, bad) => {
        const lines = records.map((record) => JSON.stringify(record));
        const position = at % (lines.length + 1);
        lines.splice(position, 0, bad);
        try {
          parseAlpacaText(lines.join('\n'), 'set.jsonl', 'jsonl');
          expect.unreachable();
        } catch (error) {
          expect(JudgekitError.is(error, 'dataset')).toBe(true);
          expect((error as JudgekitError).location).toMatch(new RegExp(`^line ${position + 1}(,|$)`));
        }
      }),
      RUNS,
    );
  });

  it('reads back any records written as JSON or JSONL', () => {
    fc.assert(
      fc.property(fc.array(goodRecord, { maxLength: 8 }), fc.boolean(), (records, lines) => {
        const text = lines ? records.map((record) => JSON.stringify(record)).join('\n') : JSON.stringify(records);
        expect(parseAlpacaText(text, lines ? 'x.jsonl' : 'x.json')).toEqual(records);
      }),
      RUNS,
    );
  });
});

// Property tests of the Alpaca record validator: any JSON value is either accepted as records or rejected with a
// JudgekitError naming the file and the first bad record (and field), which really is bad.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JudgekitError } from '../errors.js';
import { validateAlpacaRecords } from './alpaca-record.js';

const RUNS = { numRuns: 300 };
const FILE = '/data/some dir/alpaca.json';

const fieldValue = fc.oneof({ weight: 6, arbitrary: fc.string({ maxLength: 20 }) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) });
const recordLike = fc.oneof(
  { weight: 5, arbitrary: fc.record({ instruction: fieldValue, input: fieldValue, output: fieldValue, extra: fc.jsonValue({ maxDepth: 1 }) }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);
const anyInput = fc.oneof({ weight: 4, arbitrary: fc.array(recordLike, { maxLength: 8 }) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) });

function isGood(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  return typeof record.instruction === 'string' && typeof record.output === 'string' && (record.input === undefined || typeof record.input === 'string');
}

describe('validateAlpacaRecords on any JSON value', () => {
  it('accepts exactly arrays of good records, copying only the three fields', () => {
    fc.assert(
      fc.property(anyInput, (value) => {
        const good = Array.isArray(value) && value.every(isGood);
        let records;
        try {
          records = validateAlpacaRecords(value, FILE);
        } catch (error) {
          expect(good).toBe(false);
          expect(JudgekitError.is(error, 'dataset')).toBe(true);
          const problem = error as JudgekitError;
          expect(problem.file).toBe(FILE);
          expect(problem.message).toContain(FILE);
          if (!Array.isArray(value)) {
            expect(problem.location).toBe('top level');
            return;
          }
          // The place named is the first bad record, and (when the record is an object) the bad field.
          const firstBad = value.findIndex((item) => !isGood(item));
          expect(problem.location).toMatch(new RegExp(`^record ${firstBad}(, field (instruction|input|output))?$`));
          const field = /field (\w+)$/.exec(problem.location ?? '')?.[1];
          if (field) {
            const bad = (value[firstBad] as Record<string, unknown>)[field];
            expect(field === 'input' ? bad !== undefined && typeof bad !== 'string' : typeof bad !== 'string').toBe(true);
          }
          return;
        }
        expect(good).toBe(true);
        const list = value as Array<Record<string, unknown>>;
        expect(records).toEqual(list.map((item) => ({ instruction: item.instruction, input: item.input ?? '', output: item.output })));
        for (const record of records) expect(Object.keys(record).sort()).toEqual(['input', 'instruction', 'output']);
      }),
      RUNS,
    );
  });
});

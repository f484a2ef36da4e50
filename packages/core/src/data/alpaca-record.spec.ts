import { describe, expect, it } from 'vitest';
import { JudgekitError } from '../errors.js';
import { validateAlpacaRecords } from './alpaca-record.js';

function errorOf(fn: () => unknown): JudgekitError {
  try {
    fn();
  } catch (error) {
    if (JudgekitError.is(error)) return error;
    throw error;
  }
  throw new Error('expected a JudgekitError');
}

describe('validateAlpacaRecords', () => {
  it('accepts records, drops extra fields and reads a missing input as ""', () => {
    const records = validateAlpacaRecords(
      [
        { instruction: 'a', input: 'b', output: 'c', extra: 1 },
        { instruction: 'd', output: 'e' },
      ],
      'data.json',
    );
    expect(records).toEqual([
      { instruction: 'a', input: 'b', output: 'c' },
      { instruction: 'd', input: '', output: 'e' },
    ]);
  });

  it('accepts an empty array', () => {
    expect(validateAlpacaRecords([], 'x.json')).toEqual([]);
  });

  it.each([
    ['not an array', { instruction: 'a' }, /data\.json: expected a JSON array of Alpaca records.*found an object/, 'top level'],
    ['missing output', [{ instruction: 'a', input: '', output: 'b' }, { instruction: 'a', input: '' }], /data\.json: record 1 has no `output` field \(expected a string\)/, 'record 1, field output'],
    ['numeric instruction', [{ instruction: 7, input: '', output: 'b' }], /record 0 has `instruction` of type a number \(expected a string\)/, 'record 0, field instruction'],
    ['null input', [{ instruction: 'a', input: null, output: 'b' }], /record 0 has `input` of type null/, 'record 0, field input'],
    ['record not an object', [{ instruction: 'a', input: '', output: 'b' }, 'text'], /record 1 is a string, not an object/, 'record 1'],
  ])('rejects %s, naming file, record and field', (_case, value, message, location) => {
    const error = errorOf(() => validateAlpacaRecords(value, 'data.json'));
    expect(error.message).toMatch(message);
    expect(error.kind).toBe('dataset');
    expect(error.file).toBe('data.json');
    expect(error.location).toBe(location);
  });
});

// Check that parsed JSON really is a list of Alpaca records before anything trusts it, so a bad file fails at load
// time with the file, record and field named rather than as `undefined` deep inside a prompt.
import { readStringField, requireArray, requireObject, type RecordLocation } from './json-checks.js';
import type { AlpacaRecord } from '../contracts/records.js';

export type { RecordLocation } from './json-checks.js';

/**
 * One Alpaca record. A missing `input` reads as "" (many Alpaca-style files leave it out when there is none);
 * an `input` of any other type is an error. Extra fields are ignored and not copied.
 */
export function validateAlpacaRecord(value: unknown, at: RecordLocation): AlpacaRecord {
  const record = requireObject(value, at, 'string fields `instruction`, `input` and `output`');
  return {
    instruction: readStringField(record, 'instruction', at),
    input: readStringField(record, 'input', at, true),
    output: readStringField(record, 'output', at),
  };
}

/**
 * A parsed JSON value as Alpaca records: an array of objects with string `instruction`, `input` (missing = "")
 * and `output`. Returns fresh objects holding only those three fields. Record indices in errors are zero-based.
 */
export function validateAlpacaRecords(value: unknown, file: string): AlpacaRecord[] {
  const items = requireArray(value, file, 'Alpaca records ({instruction, input, output})');
  return items.map((item, index) => validateAlpacaRecord(item, { file, index }));
}

// Checks shared by the record validators (not part of core's public API: index.ts does not export this file).
import { readFile } from 'node:fs/promises';
import { JudgekitError } from '../errors.js';

/** What a value is, in words, for error messages. */
function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  return typeof value;
}

export interface RecordLocation {
  /** File (or URL) named in errors. */
  file: string;
  /** Zero-based index of the record in the file's array. */
  index: number;
  /** How to name the record in messages; default `record {index}` (JSONL readers say `line N`). */
  label?: string;
}

function labelOf(at: RecordLocation): string {
  return at.label ?? `record ${at.index}`;
}

/**
 * Read one required string field. `optionalEmpty` fields may be missing (read as ""), never of another type.
 */
export function readStringField(
  record: Record<string, unknown>,
  field: string,
  at: RecordLocation,
  optionalEmpty = false,
): string {
  const value = record[field];
  if (value === undefined && optionalEmpty) return '';
  if (typeof value === 'string') return value;
  const location = `${labelOf(at)}, field ${field}`;
  if (value === undefined) {
    throw new JudgekitError('dataset', `${at.file}: ${labelOf(at)} has no \`${field}\` field (expected a string). Add it, or fix the file.`, {
      file: at.file,
      location,
    });
  }
  throw new JudgekitError(
    'dataset',
    `${at.file}: ${labelOf(at)} has \`${field}\` of type ${describeJsonType(value)} (expected a string). Fix the record.`,
    { file: at.file, location },
  );
}

/** The record must be a plain object. */
export function requireObject(value: unknown, at: RecordLocation, fields: string): Record<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  throw new JudgekitError(
    'dataset',
    `${at.file}: ${labelOf(at)} is ${describeJsonType(value)}, not an object with ${fields}.`,
    { file: at.file, location: labelOf(at) },
  );
}

/** The top level must be an array. */
export function requireArray(value: unknown, file: string, what: string): unknown[] {
  if (Array.isArray(value)) return value;
  throw new JudgekitError('dataset', `${file}: expected a JSON array of ${what}, found ${describeJsonType(value)}.`, {
    file,
    location: 'top level',
  });
}

/** Read and parse a JSON file with errors that name it. */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new JudgekitError('input', `Cannot read ${path}${code ? ` (${code})` : ''}: check the path.`, { file: path, cause: error });
  }
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as unknown;
  } catch (error) {
    throw new JudgekitError('dataset', `${path}: not valid JSON (${(error as Error).message}).`, { file: path, cause: error });
  }
}


// Alpaca records from the text of a file: a JSON array, or JSONL (one record per line). The format is taken
// from the option, else the content, else the file extension, so a `.txt` download or a misnamed file still loads.
import { findJsonSyntaxError, JudgekitError, validateAlpacaRecord, validateAlpacaRecords, type AlpacaRecord } from '@judgekit/core';

export type AlpacaTextFormat = 'json' | 'jsonl';

/** `json` for `.json`, `jsonl` for `.jsonl`/`.ndjson`, else undefined (decide from the content). URLs' query strings are ignored. */
export function formatFromName(location: string): AlpacaTextFormat | undefined {
  let path = location;
  if (/^https?:\/\//i.test(location)) {
    try {
      path = new URL(location).pathname;
    } catch {
      path = location;
    }
  }
  const lower = path.toLowerCase();
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  if (lower.endsWith('.json')) return 'json';
  return undefined;
}

/**
 * Content first: `[` starts a JSON array; `{` starts JSONL unless the whole text is one JSON value that is not a
 * record (then the JSON reader reports what it found). Empty or other text follows the name, else JSON.
 */
export function detectFormat(text: string, location: string): AlpacaTextFormat {
  const trimmed = text.trimStart();
  const first = trimmed[0];
  if (first === '[') return 'json';
  if (first === '{') {
    let whole: unknown;
    try {
      whole = JSON.parse(trimmed);
    } catch {
      return 'jsonl';
    }
    const isRecord = typeof whole === 'object' && whole !== null && 'instruction' in whole;
    return isRecord || formatFromName(location) === 'jsonl' ? 'jsonl' : 'json';
  }
  return formatFromName(location) ?? 'json';
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function parseAlpacaJson(text: string, file: string): AlpacaRecord[] {
  let value: unknown;
  try {
    value = JSON.parse(stripBom(text));
  } catch (error) {
    const where = findJsonSyntaxError(stripBom(text));
    throw new JudgekitError('dataset', `${file}${where ? `:${where.line}:${where.column}` : ''}: not valid JSON (${(error as Error).message}). Expected a JSON array of Alpaca records or JSONL.`, {
      file,
      ...(where ? { location: `line ${where.line}, column ${where.column}` } : {}),
      cause: error,
    });
  }
  return validateAlpacaRecords(value, file);
}

/** JSONL: one record per non-blank line; errors name the (1-based) line. */
function parseAlpacaJsonl(text: string, file: string): AlpacaRecord[] {
  const records: AlpacaRecord[] = [];
  const lines = stripBom(text).split('\n');
  lines.forEach((raw, lineIndex) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    const label = `line ${lineIndex + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new JudgekitError('dataset', `${file}: ${label} is not valid JSON (${(error as Error).message}). Each line of a JSONL file must hold one whole record.`, {
        file,
        location: label,
        cause: error,
      });
    }
    records.push(validateAlpacaRecord(value, { file, index: records.length, label }));
  });
  return records;
}

/** Parse with the given format, else the one `detectFormat` finds. */
export function parseAlpacaText(text: string, file: string, format?: AlpacaTextFormat): AlpacaRecord[] {
  return (format ?? detectFormat(stripBom(text), file)) === 'jsonl' ? parseAlpacaJsonl(text, file) : parseAlpacaJson(text, file);
}

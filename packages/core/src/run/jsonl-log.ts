// An append-only log of results, one JSON line each, that survives a crash: every line carries a checksum of
// its value, so a torn or edited line is detected, reported and redone rather than trusted.
import { appendFile, mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { canonicalJson, sha256Hex } from '../util/canonical-hash.js';

export interface LogEntry<T> {
  key: string;
  value: T;
}

export interface LogProblem {
  line: number;
  reason: string;
}

export interface LogContents<T> {
  /** Last good value per key, in first-seen order. */
  entries: Map<string, T>;
  problems: LogProblem[];
}

function lineChecksum(key: string, value: unknown): string {
  return sha256Hex(`${key}\n${canonicalJson(value)}`).slice(0, 16);
}

export function encodeLogLine<T>(key: string, value: T): string {
  return `${JSON.stringify({ key, sum: lineChecksum(key, value), value })}\n`;
}

export function decodeLog<T>(text: string): LogContents<T> {
  const entries = new Map<string, T>();
  const problems: LogProblem[] = [];
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    const lineNumber = index + 1;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      problems.push({ line: lineNumber, reason: index === lines.length - 1 ? 'incomplete last line (interrupted write)' : 'not valid JSON' });
      return;
    }
    if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { key?: unknown }).key !== 'string' || typeof (parsed as { sum?: unknown }).sum !== 'string' || !('value' in parsed)) {
      problems.push({ line: lineNumber, reason: 'missing key, sum or value' });
      return;
    }
    const { key, sum, value } = parsed as { key: string; sum: string; value: T };
    if (lineChecksum(key, value) !== sum) {
      problems.push({ line: lineNumber, reason: `checksum mismatch for "${key}"` });
      return;
    }
    entries.set(key, value);
  });
  return { entries, problems };
}

/** A results log in a run directory. Appends are serialised so concurrent writers never interleave lines. */
export class JsonlLog<T> {
  readonly path: string;
  #queue: Promise<void> = Promise.resolve();
  #ensuredNewline = false;

  constructor(path: string) {
    this.path = path;
  }

  async read(): Promise<LogContents<T>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: new Map(), problems: [] };
      throw error;
    }
    return decodeLog<T>(text);
  }

  append(key: string, value: T): Promise<void> {
    return this.appendAll([[key, value]]);
  }

  /**
   * Several records in one write call, so that a process killed between records cannot log some of them without
   * the others: records that belong together, such as one batch's answers, are logged together.
   */
  appendAll(entries: readonly (readonly [key: string, value: T])[]): Promise<void> {
    const line = entries.map(([key, value]) => encodeLogLine(key, value)).join('');
    const write = this.#queue.then(async () => {
      if (!this.#ensuredNewline) {
        await mkdir(dirname(this.path), { recursive: true });
        // A crash can leave a torn last line; start on a fresh line so the next record is not glued to it.
        await terminateLastLine(this.path);
        this.#ensuredNewline = true;
      }
      await appendFile(this.path, line);
    });
    this.#queue = write.catch(() => undefined);
    return write;
  }
}

/** End a log file that a killed writer left mid-line with a newline, so the next record starts on its own line. */
export async function terminateLastLine(path: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    if (last[0] !== 0x0a) await handle.write('\n', size);
  } finally {
    await handle.close();
  }
}

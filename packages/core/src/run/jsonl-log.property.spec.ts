// Property tests of the crash-safe results log: any text decodes without throwing, a log cut off anywhere keeps
// every complete line, and a line changed in any one character is reported and never trusted.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeLog, encodeLogLine } from './jsonl-log.js';

const RUNS = { numRuns: 300 };

const entries = fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 20 }), fc.jsonValue({ maxDepth: 3 })), {
  minLength: 1,
  maxLength: 8,
  selector: ([key]) => key,
});

function encode(list: ReadonlyArray<readonly [string, unknown]>): string {
  return list.map(([key, value]) => encodeLogLine(key, value)).join('');
}

/** What JSON makes of a value (-0 becomes 0, and so on): the log stores JSON, so compare against that. */
function viaJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

describe('decodeLog', () => {
  it('never throws on any text, and every problem names a line that exists', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 400 }),
      fc.array(fc.oneof(fc.json({ maxDepth: 2 }), fc.string({ maxLength: 30 })), { maxLength: 10 }).map((lines) => lines.join('\n')),
      entries.map(encode),
    );
    fc.assert(
      fc.property(text, (input) => {
        const { entries: decoded, problems } = decodeLog(input);
        const lineCount = input.split('\n').length;
        for (const problem of problems) {
          expect(problem.line).toBeGreaterThanOrEqual(1);
          expect(problem.line).toBeLessThanOrEqual(lineCount);
          expect(problem.reason.length).toBeGreaterThan(0);
        }
        expect(decoded.size).toBeLessThanOrEqual(lineCount);
      }),
      RUNS,
    );
  });

  it('reads back every line it wrote', () => {
    fc.assert(
      fc.property(entries, (list) => {
        const { entries: decoded, problems } = decodeLog(encode(list));
        expect(problems).toEqual([]);
        expect([...decoded.entries()]).toEqual(list.map(([key, value]) => [key, viaJson(value)]));
      }),
      RUNS,
    );
  });

  it('a log cut off at any byte keeps every complete line and reports the torn one', () => {
    fc.assert(
      fc.property(entries, fc.double({ min: 0, max: 1, noNaN: true }), (list, fraction) => {
        const text = encode(list);
        const cut = Math.floor(fraction * text.length);
        const { entries: decoded, problems } = decodeLog(text.slice(0, cut));
        // A line cut just before its newline is whole; a line cut anywhere else is torn.
        const wholeLines = text.slice(0, cut + (text[cut] === '\n' ? 1 : 0)).split('\n').length - 1;
        expect([...decoded.keys()]).toEqual(list.slice(0, wholeLines).map(([key]) => key));
        const torn = cut > 0 && text[cut - 1] !== '\n' && text[cut] !== '\n';
        expect(problems).toEqual(torn ? [{ line: wholeLines + 1, reason: 'incomplete last line (interrupted write)' }] : []);
      }),
      RUNS,
    );
  });

  it('a line with any one character changed is reported, and its value is never trusted', () => {
    fc.assert(
      fc.property(entries, fc.nat(), fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }), (list, at, replacement) => {
        const text = encode(list);
        const position = at % text.length;
        fc.pre(text[position] !== '\n' && replacement !== '\n' && text[position] !== replacement);
        const damaged = text.slice(0, position) + replacement + text.slice(position + 1);
        const damagedLine = text.slice(0, position).split('\n').length;
        const { entries: decoded, problems } = decodeLog(damaged);
        expect(problems.map((problem) => problem.line)).toEqual([damagedLine]);
        const original = new Map(list.map(([key, value]) => [key, viaJson(value)]));
        for (const [key, value] of decoded) expect(value).toEqual(original.get(key));
        expect(decoded.size).toBe(list.length - 1);
      }),
      RUNS,
    );
  });
});

// Property tests of the JSON syntax-error locator against JSON.parse itself: it finds an error exactly when
// JSON.parse rejects the text, the position it names lies inside the text, and it never throws.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findJsonSyntaxError } from './json-syntax-error.js';

const RUNS = { numRuns: 400 };

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Valid JSON texts, and the same texts cut, spliced with junk, or with one character changed. */
const jsonText = fc.oneof(
  fc.json({ maxDepth: 4 }),
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value, null, 2)),
  fc.tuple(fc.json({ maxDepth: 3 }), fc.double({ min: 0, max: 1, noNaN: true })).map(([text, fraction]) => text.slice(0, Math.floor(fraction * text.length))),
  fc
    .tuple(fc.json({ maxDepth: 3 }), fc.nat(), fc.string({ unit: fc.constantFrom('{', '}', '[', ']', ',', ':', '"', '\\', '\n', ' ', 'x', '0', '-', '.', 'e', '\u0001', 'u'), minLength: 1, maxLength: 3 }))
    .map(([text, at, junk]) => {
      const position = at % (text.length + 1);
      return text.slice(0, position) + junk + text.slice(position + 1);
    }),
  fc.string({ unit: fc.constantFrom('{', '}', '[', ']', ',', ':', '"', '\\', 'n', 'u', 'l', 't', 'r', 'e', '1', '0', '-', '.', 'E', '+', ' ', '\n', '\t'), maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
);

describe('findJsonSyntaxError', () => {
  it('finds an error exactly when JSON.parse rejects the text, at a position inside it', () => {
    fc.assert(
      fc.property(jsonText, (text) => {
        const where = findJsonSyntaxError(text);
        expect(where === undefined, JSON.stringify(text)).toBe(parses(text));
        if (where) {
          expect(where.offset).toBeGreaterThanOrEqual(0);
          expect(where.offset).toBeLessThanOrEqual(text.length);
          const lines = text.split('\n');
          expect(where.line).toBeGreaterThanOrEqual(1);
          expect(where.line).toBeLessThanOrEqual(lines.length);
          expect(where.column).toBeGreaterThanOrEqual(1);
          expect(where.column).toBeLessThanOrEqual((lines[where.line - 1] as string).length + 1);
        }
      }),
      RUNS,
    );
  });

  it('does not overflow the stack or hang on deep nesting and long tokens', () => {
    for (const text of ['['.repeat(50_000), `${'['.repeat(9_000)}${']'.repeat(9_000)}`, `"${'a'.repeat(200_000)}`, `${'{"a":'.repeat(5_000)}1${'}'.repeat(4_999)}`]) {
      expect(() => findJsonSyntaxError(text)).not.toThrow();
      expect(findJsonSyntaxError(text) === undefined).toBe(parses(text));
    }
  });

  it('accepts numbers longer than 400 characters, as JSON.parse does', () => {
    for (const text of [`[${'9'.repeat(1000)}]`, `{"n": 1.${'5'.repeat(600)}e${'1'.repeat(3)}}`, `[-${'1'.repeat(500)}.]`]) {
      expect(findJsonSyntaxError(text) === undefined).toBe(parses(text));
    }
  });
});

import { describe, expect, it } from 'vitest';
import { findJsonSyntaxError } from './json-syntax-error.js';

describe('findJsonSyntaxError', () => {
  it.each([
    ['[1, 2]', undefined],
    ['{"a": [true, false, null, -1.5e3, "x\\u00e9\\n"]}', undefined],
    ['  {}  ', undefined],
    ['[\n  {"instruction": "a",\n  "input": }\n]', { line: 3, column: 12 }],
    ['[\n  {"instruction": "a"', { line: 2, column: 22 }],
    ['[1,]', { line: 1, column: 4 }],
    ['{"a" 1}', { line: 1, column: 6 }],
    ['"tab\there"', { line: 1, column: 5 }],
    ['[01]', { line: 1, column: 3 }],
    ['[1] x', { line: 1, column: 5 }],
    ['', { line: 1, column: 1 }],
    ['{"a": tru}', { line: 1, column: 7 }],
  ])('%j -> %j', (text, expected) => {
    const found = findJsonSyntaxError(text);
    if (expected === undefined) {
      expect(found).toBeUndefined();
      expect(() => JSON.parse(text)).not.toThrow();
    } else {
      expect({ line: found?.line, column: found?.column }).toEqual(expected);
      expect(() => JSON.parse(text)).toThrow();
    }
  });

  it('agrees with JSON.parse on validity for many random mutations of a valid document', () => {
    const base = JSON.stringify([{ instruction: 'a "q"', input: '', output: 'x\ny', n: [1, -2.5, 3e2, true, null] }], null, 2);
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const alphabet = '{}[]",:0-.eE\\ tnul\n';
    for (let k = 0; k < 2000; k++) {
      const at = Math.floor(random() * base.length);
      const text = base.slice(0, at) + alphabet[Math.floor(random() * alphabet.length)] + base.slice(at + (random() < 0.5 ? 1 : 0));
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
      }
      expect(findJsonSyntaxError(text) === undefined).toBe(valid);
    }
  });
});

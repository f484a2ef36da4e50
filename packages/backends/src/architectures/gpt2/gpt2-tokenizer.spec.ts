import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { JudgekitError } from '@judgekit/core';
import { decodeGpt2, encodeGpt2, encodeGpt2Documents, END_OF_TEXT_ID, gpt2Tokenizer, validateTokenIds } from './gpt2-tokenizer.js';

describe('encodeGpt2', () => {
  it.each([
    ['Hello, world!', [15496, 11, 995, 0]],
    ['hello', [31373]],
    [' world', [995]],
    ['', []],
  ])('encodes %j as the GPT-2 ids', (text, ids) => {
    expect(encodeGpt2(text)).toEqual(ids);
  });

  it.each([
    // The case gpt-tokenizer gets wrong on its own: a marker in the middle of text.
    ['hello<|endoftext|>world', [31373, END_OF_TEXT_ID, 6894]],
    ['<|endoftext|>world', [END_OF_TEXT_ID, 6894]],
    ['hello<|endoftext|>', [31373, END_OF_TEXT_ID]],
    ['a<|endoftext|><|endoftext|>b', [64, END_OF_TEXT_ID, END_OF_TEXT_ID, 65]],
  ])('reads <|endoftext|> anywhere in %j when allowed', (text, ids) => {
    expect(encodeGpt2(text, { allowEndOfText: true })).toEqual(ids);
  });

  it('refuses <|endoftext|> in text unless allowed, naming the position', () => {
    expect(() => encodeGpt2('hi <|endoftext|>')).toThrowError(/character 3.*allowEndOfText/);
    try {
      encodeGpt2('<|endoftext|>');
    } catch (error) {
      expect(JudgekitError.is(error, 'input')).toBe(true);
    }
  });

  it('never produces 50256 from ordinary text that only looks similar', () => {
    expect(encodeGpt2('<|endoftext|', {})).not.toContain(END_OF_TEXT_ID);
  });
});

describe('decodeGpt2', () => {
  it.each(['Hello, world!', 'héllo 🎉 日本語 — «ok»', '  leading and trailing  \n\n', 'tabs\tand\r\nCRLF', 'émoji 👩‍👩‍👧 family'])(
    'round-trips %j',
    (text) => {
      expect(decodeGpt2(encodeGpt2(text))).toBe(text);
    },
  );

  it('round-trips arbitrary unicode strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (text) => {
        fc.pre(!text.includes('<|endoftext|>'));
        expect(decodeGpt2(encodeGpt2(text))).toBe(text);
      }),
      { numRuns: 150 },
    );
  });

  it('decodes 50256 back to the marker', () => {
    expect(decodeGpt2([31373, END_OF_TEXT_ID, 6894])).toBe('hello<|endoftext|>world');
  });

  it('replaces a cut multi-byte character with U+FFFD', () => {
    const ids = encodeGpt2('🎉');
    expect(ids.length).toBeGreaterThan(1);
    expect(decodeGpt2(ids.slice(0, 1))).toContain('\uFFFD');
  });

  it('accepts typed arrays', () => {
    expect(decodeGpt2(Int32Array.from([15496, 11, 995, 0]))).toBe('Hello, world!');
  });
});

describe('validateTokenIds', () => {
  it.each([[[-1]], [[50257]], [[1.5]], [[Number.NaN]], [[0, 1, 70000]]])('rejects %j', (ids) => {
    expect(() => validateTokenIds(ids)).toThrowError(/not a token id \(expected an integer in \[0, 50257\)\)/);
  });

  it('accepts the whole range', () => {
    expect(() => validateTokenIds([0, 50256])).not.toThrow();
  });

  it('names the position', () => {
    expect(() => decodeGpt2([1, 2, 99999])).toThrowError(/position 2 holds 99999/);
  });
});

describe('encodeGpt2Documents', () => {
  it('follows every document with 50256', () => {
    expect(encodeGpt2Documents(['hello', 'world', ''])).toEqual([31373, END_OF_TEXT_ID, 6894, END_OF_TEXT_ID, END_OF_TEXT_ID]);
  });

  it('names the document that holds a stray marker', () => {
    expect(() => encodeGpt2Documents(['ok', 'bad <|endoftext|>'])).toThrowError(/Document 1/);
  });

  it('is what the tokenizer object exposes', () => {
    expect(gpt2Tokenizer.encodeDocuments(['a'])).toEqual([64, END_OF_TEXT_ID]);
    expect(gpt2Tokenizer.vocabSize).toBe(50257);
  });
});

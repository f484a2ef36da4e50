import { JudgekitError } from '@judgekit/core';
import { describe, expect, it } from 'vitest';
import { detectFormat, formatFromName, parseAlpacaText } from './alpaca-text.js';

const a = { instruction: 'i1', input: '', output: 'o1' };
const b = { instruction: 'i2', input: 'x', output: 'o2' };

describe('format detection', () => {
  it.each([
    ['data.json', 'json'],
    ['data.JSONL', 'jsonl'],
    ['data.ndjson', 'jsonl'],
    ['https://host/x/data.jsonl?token=1', 'jsonl'],
    ['https://host/x/data.json#frag', 'json'],
    ['data.txt', undefined],
  ])('name %s → %s', (name, format) => {
    expect(formatFromName(name)).toBe(format);
  });

  it.each([
    ['[{"instruction":"a"}]', 'x.jsonl', 'json'],
    ['{"instruction":"a","input":"","output":"b"}\n{"instruction":"c","input":"","output":"d"}', 'x.json', 'jsonl'],
    ['{"instruction":"a","input":"","output":"b"}', 'x.json', 'jsonl'],
    ['{\n  "data": []\n}', 'x.json', 'json'],
    ['', 'x.jsonl', 'jsonl'],
    ['', 'x.txt', 'json'],
  ])('content %j named %s → %s', (text, name, format) => {
    expect(detectFormat(text, name)).toBe(format);
  });
});

describe('parseAlpacaText', () => {
  it('reads a JSON array', () => {
    expect(parseAlpacaText(JSON.stringify([a, b], null, 4), 'd.json')).toEqual([a, b]);
  });

  it('reads JSONL with blank lines, CRLF and a BOM', () => {
    const text = `\uFEFF${JSON.stringify(a)}\r\n\r\n${JSON.stringify({ ...b, extra: true })}\r\n`;
    expect(parseAlpacaText(text, 'd.jsonl')).toEqual([a, b]);
  });

  it('follows the content when the name disagrees', () => {
    expect(parseAlpacaText(`${JSON.stringify(a)}\n${JSON.stringify(b)}\n`, 'd.json')).toEqual([a, b]);
    expect(parseAlpacaText(JSON.stringify([a]), 'd.jsonl')).toEqual([a]);
  });

  it('obeys a forced format', () => {
    expect(() => parseAlpacaText(JSON.stringify([a]), 'd.json', 'jsonl')).toThrowError(/line 1 has no `instruction`|line 1 is an array/);
  });

  it('names the line of a JSONL syntax error', () => {
    const text = `${JSON.stringify(a)}\n\n{"instruction": "broken"\n`;
    try {
      parseAlpacaText(text, 'd.jsonl');
      throw new Error('expected an error');
    } catch (error) {
      expect(JudgekitError.is(error, 'dataset')).toBe(true);
      expect((error as JudgekitError).message).toMatch(/^d\.jsonl: line 3 is not valid JSON/);
      expect((error as JudgekitError).location).toBe('line 3');
    }
  });

  it('names the line and field of a bad JSONL record', () => {
    const text = `${JSON.stringify(a)}\n${JSON.stringify({ instruction: 'x', input: '' })}\n`;
    expect(() => parseAlpacaText(text, 'd.jsonl')).toThrowError(/d\.jsonl: line 2 has no `output` field \(expected a string\)/);
  });

  it('names the record of a bad JSON array entry and reports broken JSON', () => {
    expect(() => parseAlpacaText(JSON.stringify([a, { ...b, output: 3 }]), 'd.json')).toThrowError(/d\.json: record 1 has `output` of type a number/);
    expect(() => parseAlpacaText('[{"instruction": ', 'd.json')).toThrowError(/d\.json:1:18: not valid JSON/);
    expect(() => parseAlpacaText('{\n  "data": []\n}', 'd.json')).toThrowError(/expected a JSON array .* found an object/);
  });
});

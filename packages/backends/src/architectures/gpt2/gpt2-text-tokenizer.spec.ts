import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { documentSeparator, openTokenSource } from '@judgekit/core';
import { gpt2TextTokenizer } from './gpt2-text-tokenizer.js';
import { encodeGpt2 } from './gpt2-tokenizer.js';

describe('gpt2TextTokenizer', () => {
  it('splits on <|endoftext|> and reads it in prompts only when asked', () => {
    expect(documentSeparator(gpt2TextTokenizer)).toBe('<|endoftext|>');
    expect(gpt2TextTokenizer.encode('a<|endoftext|>b', { allowEndOfText: true })).toEqual([...encodeGpt2('a'), 50256, ...encodeGpt2('b')]);
    expect(() => gpt2TextTokenizer.encode('a<|endoftext|>b')).toThrow();
    expect(gpt2TextTokenizer.decode([...encodeGpt2('Hello'), 50256])).toBe('Hello<|endoftext|>');
  });

  it('gives the study its test-loss tokens: each document followed by 50256, described as before', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'judgekit-gpt2-tokens-'));
    await writeFile(join(dir, 'd.txt'), 'Hello world<|endoftext|>Bye');
    const source = await openTokenSource(join(dir, 'd.txt'), { tokenizer: gpt2TextTokenizer });
    const expected = [...encodeGpt2('Hello world'), 50256, ...encodeGpt2('Bye'), 50256];
    expect([...(await source.read(0, 100))]).toEqual(expected);
    expect(source.description).toBe(`GPT-2 tokens of 2 text documents in ${join(dir, 'd.txt')} (split on <|endoftext|>), each followed by 50256`);
    await writeFile(join(dir, 'd.jsonl'), '{"text":"Hello world"}\n{"text":"Bye"}\n');
    const jsonl = await openTokenSource(join(dir, 'd.jsonl'), { tokenizer: gpt2TextTokenizer });
    expect([...(await jsonl.read(0, 100))]).toEqual(expected);
    expect(jsonl.description).toBe(`GPT-2 tokens of 2 JSONL documents in ${join(dir, 'd.jsonl')}, each followed by 50256`);
  });
});

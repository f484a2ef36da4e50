import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Tokenizer } from '../../contracts/tokenizer.js';
import { writeSafetensors } from '../../formats/safetensors.js';
import { LLMC_MAGIC, detectTokenFileFormat, documentSeparator, openTokenSource, parseJsonlDocuments, readJsonlDocuments, readTextDocuments, splitTextDocuments } from './token-source.js';

const MARKER = '<|endoftext|>';

/** One id per code point; end of text is 0x110000 (above every code point, so ids do not fit in uint16). */
const codePoints: Tokenizer = {
  id: 'code-point',
  endOfText: 0x110000,
  encode(text) {
    if (text.includes(MARKER)) throw new Error('the text holds the end-of-text marker');
    return [...text].map((c) => c.codePointAt(0) as number);
  },
  decode: (ids) => ids.map((id) => (id === 0x110000 ? MARKER : String.fromCodePoint(id))).join(''),
};

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'judgekit-tokens-'));
}

describe('token sources', () => {
  it.each([
    ['a.jsonl', 'jsonl'],
    ['a.bin', 'bin'],
    ['a.safetensors', 'safetensors'],
    ['a.txt', 'text'],
    ['README', 'text'],
  ])('%s is read as %s', (path, format) => {
    expect(detectTokenFileFormat(path)).toBe(format);
  });

  it.each([
    ['one<|endoftext|>two<|endoftext|>\n', ['one', 'two']],
    ['plain text', ['plain text']],
    ['a<|endoftext|><|endoftext|>b', ['a', '', 'b']],
  ])('splits %j into documents', (text, documents) => {
    expect(splitTextDocuments(text, MARKER)).toEqual(documents);
  });

  it('splits text files on the decoded end-of-text id, and not at all when it decodes to nothing', () => {
    expect(documentSeparator(codePoints)).toBe(MARKER);
    expect(splitTextDocuments('a<|endoftext|>b', '')).toEqual(['a<|endoftext|>b']);
  });

  it('streams documents in chunks, with markers and multi-byte characters across chunk boundaries', async () => {
    const dir = await tempDir();
    const text = 'héllo wörld<|endoftext|>second ✓ doc<|endoftext|>third<|endoftext|>\n';
    await writeFile(join(dir, 'd.txt'), text);
    for (const chunkBytes of [3, 7, 64]) {
      const documents: string[] = [];
      for await (const d of readTextDocuments(join(dir, 'd.txt'), MARKER, chunkBytes)) documents.push(d);
      expect(documents).toEqual(splitTextDocuments(text, MARKER));
    }
    await writeFile(join(dir, 'd.jsonl'), '{"text":"é one"}\n\n{"text":"two ✓"}\n{"text":"three"}');
    const lines: string[] = [];
    for await (const d of readJsonlDocuments(join(dir, 'd.jsonl'), 5)) lines.push(d);
    expect(lines).toEqual(['é one', 'two ✓', 'three']);
    await writeFile(join(dir, 'bad.jsonl'), '{"text":"a"}\n{"text":"b"}\n\n{"nope":1}\n');
    await expect(openTokenSource(join(dir, 'bad.jsonl'), { tokenizer: codePoints })).rejects.toThrow(/bad.jsonl line 4 has no string "text" field/);
  });

  it('reads JSONL documents and names a bad line', () => {
    expect(parseJsonlDocuments('{"text":"a"}\n\n{"text":"b"}\n', 'd.jsonl')).toEqual(['a', 'b']);
    expect(() => parseJsonlDocuments('{"text":"a"}\n{"body":"b"}\n', 'd.jsonl')).toThrow(/d.jsonl line 2 has no string "text" field/);
    expect(() => parseJsonlDocuments('{oops\n', 'd.jsonl')).toThrow(/d.jsonl line 1 is not valid JSON/);
  });

  it("tokenizes text with each document followed by the tokenizer's end-of-text id", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'd.txt'), 'Hello world<|endoftext|>Bye');
    const source = await openTokenSource(join(dir, 'd.txt'), { tokenizer: codePoints });
    const expected = [...codePoints.encode('Hello world'), 0x110000, ...codePoints.encode('Bye'), 0x110000];
    expect(source.length).toBe(expected.length);
    expect([...(await source.read(0, 100))]).toEqual(expected);
    expect(source.description).toBe(`code-point tokens of 2 text documents in ${join(dir, 'd.txt')} (split on <|endoftext|>), each followed by 1114112`);
    await writeFile(join(dir, 'd.jsonl'), '{"text":"Hello world"}\n{"text":"Bye"}\n');
    const jsonl = await openTokenSource(join(dir, 'd.jsonl'), { tokenizer: codePoints });
    expect([...(await jsonl.read(0, 100))]).toEqual(expected);
    expect(jsonl.description).toBe(`code-point tokens of 2 JSONL documents in ${join(dir, 'd.jsonl')}, each followed by 1114112`);
  });

  it('asks for a tokenizer for documents, names the document a tokenizer refuses, and takes a bare format', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'd.txt'), 'Hello');
    await expect(openTokenSource(join(dir, 'd.txt'))).rejects.toThrow(/need the model's tokenizer: pass \{ tokenizer \}/);
    await writeFile(join(dir, 'm.jsonl'), '{"text":"ok"}\n{"text":"a <|endoftext|> b"}\n');
    await expect(openTokenSource(join(dir, 'm.jsonl'), { tokenizer: codePoints })).rejects.toThrow(/m.jsonl, document 1: the text holds the end-of-text marker/);
    await writeFile(join(dir, 'raw.dat'), new Uint8Array(Uint16Array.from([1, 2]).buffer));
    expect([...(await (await openTokenSource(join(dir, 'raw.dat'), 'bin')).read(0, 2))]).toEqual([1, 2]);
  });

  it('reads raw uint16 and llm.c token files window by window', async () => {
    const dir = await tempDir();
    const tokens = Uint16Array.from([5, 50256, 7, 65535, 9]);
    await writeFile(join(dir, 'raw.bin'), new Uint8Array(tokens.buffer));
    const raw = await openTokenSource(join(dir, 'raw.bin'));
    expect(raw.length).toBe(5);
    expect([...(await raw.read(1, 3))]).toEqual([50256, 7, 65535]);
    expect([...(await raw.read(4, 10))]).toEqual([9]);
    await raw.close();
    const header = new Int32Array(256);
    header.set([LLMC_MAGIC, 1, tokens.length]);
    await writeFile(join(dir, 'llmc.bin'), Buffer.concat([Buffer.from(header.buffer), Buffer.from(tokens.buffer)]));
    const llmc = await openTokenSource(join(dir, 'llmc.bin'));
    expect(llmc.length).toBe(5);
    expect(llmc.description).toMatch(/llm.c token file/);
    expect([...(await llmc.read(0, 5))]).toEqual([...tokens]);
    await llmc.close();
    header[2] = 1000;
    await writeFile(join(dir, 'short.bin'), Buffer.concat([Buffer.from(header.buffer), Buffer.from(tokens.buffer)]));
    await expect(openTokenSource(join(dir, 'short.bin'))).rejects.toThrow(/header says 1000 tokens but the file holds only 5/);
    await writeFile(join(dir, 'odd.bin'), new Uint8Array(3));
    await expect(openTokenSource(join(dir, 'odd.bin'))).rejects.toThrow(/odd number of bytes/);
  });

  it('reads a tokens tensor from safetensors', async () => {
    const dir = await tempDir();
    await writeSafetensors(join(dir, 't.safetensors'), { tokens: { dtype: 'I64', shape: [3], data: [1, 2, 50256] } });
    const source = await openTokenSource(join(dir, 't.safetensors'));
    expect([...(await source.read(0, 3))]).toEqual([1, 2, 50256]);
    await writeSafetensors(join(dir, 'u.safetensors'), { ids: { dtype: 'U16', shape: [1], data: [1] } });
    await expect(openTokenSource(join(dir, 'u.safetensors'))).rejects.toThrow(/has no "tokens" tensor/);
  });
});

// Where test-loss tokens come from: text or JSONL documents (tokenized with the model's tokenizer, each document
// followed by its end-of-text id), flat uint16 token files (nanoGPT's raw .bin or llm.c's .bin with its 256-int32
// header), or a safetensors file with a `tokens` tensor. Token files are read window by window, so their size is
// not bounded by memory.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Tokenizer } from '../../contracts/tokenizer.js';
import { JudgekitError } from '../../errors.js';
import { SafetensorsFile } from '../../formats/safetensors.js';

export type TokenFileFormat = 'text' | 'jsonl' | 'bin' | 'safetensors';

export interface OpenTokenSourceOptions {
  /** Default: guessed from the extension. */
  format?: TokenFileFormat;
  /** Tokenizes text and JSONL documents (the model's, e.g. `LikelihoodModel.tokenizer`); token files need none. */
  tokenizer?: Tokenizer;
}

export interface TokenSource {
  readonly length: number;
  /** What the tokens are, written into the loss protocol. */
  readonly description: string;
  /** Tokens [start, start + count). */
  read(start: number, count: number): Promise<Int32Array>;
  close(): Promise<void>;
}

/** llm.c's token-file magic number (first int32 of its 1024-byte header). */
export const LLMC_MAGIC = 20240520;
const LLMC_HEADER_BYTES = 256 * 4;

export function tokenSourceFromArray(tokens: ArrayLike<number>, description = 'in-memory tokens'): TokenSource {
  const data = Int32Array.from(tokens);
  return {
    length: data.length,
    description,
    read: async (start, count) => data.slice(start, start + count),
    close: async () => {},
  };
}

export function detectTokenFileFormat(path: string): TokenFileFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.bin') return 'bin';
  if (ext === '.safetensors') return 'safetensors';
  return 'text';
}

/** The text that separates documents in a text file: the tokenizer's end-of-text id decoded (`<|endoftext|>` for GPT-2). */
export function documentSeparator(tokenizer: Tokenizer): string {
  return tokenizer.decode([tokenizer.endOfText]);
}

/** Split text on `separator` into documents; a trailing separator does not start an empty document. */
export function splitTextDocuments(text: string, separator: string): string[] {
  if (separator === '') return [text];
  const pieces = text.split(separator);
  if (pieces.length > 1 && pieces[pieces.length - 1]!.trim() === '') pieces.pop();
  return pieces;
}

/** The `text` field of each JSONL line; errors name the line. */
export function parseJsonlDocuments(text: string, file: string, firstLine = 0): string[] {
  const documents: string[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const index = firstLine + i;
    if (line.trim() === '') return;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (error) {
      throw new JudgekitError('input', `${file} line ${index + 1} is not valid JSON: ${(error as Error).message}`, { file, location: `line ${index + 1}` });
    }
    const value = (record as { text?: unknown } | null)?.text;
    if (typeof value !== 'string') {
      throw new JudgekitError('input', `${file} line ${index + 1} has no string "text" field; each line must be {"text": "..."}.`, { file, location: `line ${index + 1}` });
    }
    documents.push(value);
  });
  return documents;
}

async function binSource(path: string): Promise<TokenSource> {
  const handle = await open(path, 'r');
  const { size } = await handle.stat();
  const header = new Int32Array(3);
  if (size >= 12) await handle.read(new Uint8Array(header.buffer), 0, 12, 0);
  let dataOffset = 0;
  let bytesPerToken = 2;
  let length = Math.floor(size / 2);
  let description = `raw uint16 token file ${path}`;
  if (size >= LLMC_HEADER_BYTES && header[0] === LLMC_MAGIC) {
    const version = header[1]!;
    if (version !== 1 && version !== 2) {
      await handle.close();
      throw new JudgekitError('input', `${path} has llm.c's magic number but unknown version ${version} (expected 1: uint16 tokens, or 2: uint32).`, { file: path });
    }
    bytesPerToken = version === 1 ? 2 : 4;
    dataOffset = LLMC_HEADER_BYTES;
    length = header[2]!;
    if (dataOffset + length * bytesPerToken > size) {
      await handle.close();
      throw new JudgekitError('input', `${path}: the llm.c header says ${length} tokens but the file holds only ${Math.floor((size - dataOffset) / bytesPerToken)}; it is truncated.`, { file: path });
    }
    description = `llm.c token file ${path} (version ${version})`;
  } else if (size % 2 !== 0) {
    await handle.close();
    throw new JudgekitError('input', `${path} has an odd number of bytes, so it is not a flat uint16 token file (nor an llm.c file: no magic ${LLMC_MAGIC}).`, { file: path });
  }
  return {
    length,
    description,
    async read(start, count) {
      const n = Math.max(0, Math.min(count, length - start));
      const bytes = new Uint8Array(n * bytesPerToken);
      if (n > 0) await handle.read(bytes, 0, bytes.byteLength, dataOffset + start * bytesPerToken);
      const view = new DataView(bytes.buffer);
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = bytesPerToken === 2 ? view.getUint16(2 * i, true) : view.getUint32(4 * i, true);
      return out;
    },
    close: () => handle.close(),
  };
}

/**
 * Tokens appended in chunks of uint16 (GPT-2 ids fit), so a long token stream costs 2 bytes per token; the first
 * id above 65535 (a larger vocabulary) switches the buffer to uint32.
 */
class TokenBuffer {
  private data: Uint16Array | Uint32Array = new Uint16Array(1 << 16);
  length = 0;

  push(ids: readonly number[]): void {
    const wide = this.data instanceof Uint16Array && ids.some((id) => id > 0xffff);
    if (wide || this.length + ids.length > this.data.length) {
      let size = this.data.length;
      while (size < this.length + ids.length) size *= 2;
      const grown = wide || this.data instanceof Uint32Array ? new Uint32Array(size) : new Uint16Array(size);
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw new JudgekitError('internal', `token id ${id} is not a uint32`);
      this.data[this.length++] = id;
    }
  }

  toSource(description: string): TokenSource {
    const data = this.data.subarray(0, this.length);
    return {
      length: data.length,
      description,
      read: async (start, count) => Int32Array.from(data.subarray(start, start + count)),
      close: async () => {},
    };
  }
}

/** Tokenize documents as they stream by: each followed by the end-of-text id. Errors name the document. */
async function tokenizeDocuments(documents: AsyncIterable<string>, file: string, tokenizer: Tokenizer): Promise<{ tokens: TokenBuffer; count: number }> {
  const tokens = new TokenBuffer();
  let count = 0;
  for await (const document of documents) {
    try {
      tokens.push(tokenizer.encode(document));
    } catch (error) {
      throw new JudgekitError('input', `${file}, document ${count}: ${(error as Error).message}`, { file, location: `document ${count}`, cause: error });
    }
    tokens.push([tokenizer.endOfText]);
    count++;
  }
  return { tokens, count };
}

/** Documents of a text file split on `separator`, read in chunks (a separator may span two chunks). */
export async function* readTextDocuments(path: string, separator: string, chunkBytes = 1 << 20): AsyncGenerator<string> {
  let pending = '';
  let emitted = 0;
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: chunkBytes })) {
    pending += chunk as string;
    if (separator === '') continue;
    const pieces = pending.split(separator);
    pending = pieces.pop()!;
    for (const piece of pieces) {
      emitted++;
      yield piece;
    }
  }
  // Text after the last marker is a document unless it is only whitespace (a file ending in the marker).
  if (emitted === 0 || pending.trim() !== '') yield pending;
}

/** The `text` field of each JSONL line, streamed; errors name the line. */
export async function* readJsonlDocuments(path: string, chunkBytes = 1 << 20): AsyncGenerator<string> {
  let pending = '';
  let line = 0;
  const parse = (text: string): string | undefined => {
    line++;
    if (text.trim() === '') return undefined;
    return parseJsonlDocuments(text, path, line - 1)[0];
  };
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: chunkBytes })) {
    pending += chunk as string;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const text of lines) {
      const document = parse(text);
      if (document !== undefined) yield document;
    }
  }
  const last = parse(pending);
  if (last !== undefined) yield last;
}

function needTokenizer(path: string, format: TokenFileFormat, tokenizer: Tokenizer | undefined): Tokenizer {
  if (tokenizer) return tokenizer;
  throw new JudgekitError('usage', `${path} holds ${format} documents, which need the model's tokenizer: pass { tokenizer } (e.g. the likelihood model's), or give a .bin or .safetensors token file.`, { file: path });
}

async function documentSource(path: string, format: 'text' | 'jsonl', tokenizer: Tokenizer): Promise<TokenSource> {
  const tail = `each followed by ${tokenizer.endOfText}`;
  if (format === 'jsonl') {
    const { tokens, count } = await tokenizeDocuments(readJsonlDocuments(path), path, tokenizer);
    return tokens.toSource(`${tokenizer.id} tokens of ${count} JSONL documents in ${path}, ${tail}`);
  }
  const separator = documentSeparator(tokenizer);
  const { tokens, count } = await tokenizeDocuments(readTextDocuments(path, separator), path, tokenizer);
  return tokens.toSource(`${tokenizer.id} tokens of ${count} text documents in ${path} (split on ${separator}), ${tail}`);
}

async function safetensorsSource(path: string): Promise<TokenSource> {
  const file = await SafetensorsFile.read(path, { include: (name) => name === 'tokens' });
  if (!file.has('tokens')) throw new JudgekitError('input', `${path} has no "tokens" tensor (found: ${file.names().slice(0, 5).join(', ')}).`, { file: path });
  return tokenSourceFromArray(file.int32('tokens').data, `safetensors tokens ${path}`);
}

/** Open a token source; a bare format string is the old form of `{ format }`. */
export async function openTokenSource(path: string, options: OpenTokenSourceOptions | TokenFileFormat = {}): Promise<TokenSource> {
  const { format = detectTokenFileFormat(path), tokenizer } = typeof options === 'string' ? { format: options } : options;
  try {
    switch (format) {
      case 'bin':
        return await binSource(path);
      case 'safetensors':
        return await safetensorsSource(path);
      case 'jsonl':
      case 'text':
        return await documentSource(path, format, needTokenizer(path, format, tokenizer));
    }
  } catch (error) {
    if (JudgekitError.is(error)) throw error;
    throw new JudgekitError('input', `cannot read test-loss data ${path}: ${(error as Error).message}`, { file: path, cause: error });
  }
}

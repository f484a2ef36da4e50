// The GPT-2 BPE tokenizer (tiktoken's `gpt2` / `r50k_base`) on top of gpt-tokenizer, with `<|endoftext|>` handled
// by us: gpt-tokenizer only recognises a special token at the start of the text or right after another special
// token, so text is split on `<|endoftext|>` here and the pieces are joined with id 50256.
import { encode as r50kEncode, vocabularySize as r50kVocabularySize } from 'gpt-tokenizer/encoding/r50k_base';
import r50kRanks from 'gpt-tokenizer/bpeRanks/r50k_base';
import { JudgekitError } from '@judgekit/core';
import { END_OF_TEXT, END_OF_TEXT_ID, GPT2_VOCAB_SIZE } from './gpt2-special-tokens.js';

export { END_OF_TEXT, END_OF_TEXT_ID, GPT2_VOCAB_SIZE };

export interface EncodeOptions {
  /**
   * Read `<|endoftext|>` in the text as the special token 50256. Off by default: the text is then refused with an
   * error, as tiktoken does, so a document that merely mentions the marker never silently ends a document.
   */
  allowEndOfText?: boolean;
}

export interface Gpt2Tokenizer {
  readonly vocabSize: number;
  readonly endOfTextId: number;
  encode(text: string, options?: EncodeOptions): number[];
  decode(ids: ArrayLike<number> | Iterable<number>): string;
  /** Each document's ids followed by 50256, concatenated: the study's test-loss token stream. */
  encodeDocuments(documents: Iterable<string>, options?: EncodeOptions): number[];
}

/** Encode plain text that holds no special token. */
function encodeOrdinary(text: string): number[] {
  if (text === '') return [];
  // `disallowedSpecial: new Set()` makes gpt-tokenizer treat every special-looking string as text; we have already
  // removed the real markers, so this only matters for text the caller asked to be read literally.
  return r50kEncode(text, { disallowedSpecial: new Set() });
}

export function encodeGpt2(text: string, options: EncodeOptions = {}): number[] {
  if (typeof text !== 'string') {
    throw new JudgekitError('input', `The GPT-2 tokenizer needs a string, got ${text === null ? 'null' : typeof text}.`);
  }
  const pieces = text.split(END_OF_TEXT);
  if (pieces.length > 1 && !options.allowEndOfText) {
    throw new JudgekitError(
      'input',
      `The text contains the special token ${END_OF_TEXT} at character ${text.indexOf(END_OF_TEXT)}. ` +
        'Pass { allowEndOfText: true } to read it as token 50256, or remove it from the text.',
    );
  }
  const ids: number[] = [];
  pieces.forEach((piece, index) => {
    if (index > 0) ids.push(END_OF_TEXT_ID);
    for (const id of encodeOrdinary(piece)) ids.push(id);
  });
  return ids;
}

/** Throw a clear error unless every id is an integer in [0, vocabSize). */
export function validateTokenIds(ids: ArrayLike<number>, vocabSize = GPT2_VOCAB_SIZE, what = 'token ids'): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as number;
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new JudgekitError(
        'input',
        `${what}: position ${i} holds ${String(id)}, which is not a token id (expected an integer in [0, ${vocabSize})).`,
        { location: `position ${i}` },
      );
    }
  }
}

let tokenBytes: Uint8Array[] | undefined;

/** Each token's bytes, by id: the ranks table (strings, or byte arrays for tokens that are not valid UTF-8). */
export function gpt2TokenBytes(): readonly Uint8Array[] {
  if (!tokenBytes) {
    const encoder = new TextEncoder();
    const table = (r50kRanks as readonly (string | number[])[]).map((entry) =>
      typeof entry === 'string' ? encoder.encode(entry) : Uint8Array.from(entry),
    );
    table[END_OF_TEXT_ID] = encoder.encode(END_OF_TEXT);
    tokenBytes = table;
  }
  return tokenBytes;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

export function decodeGpt2(ids: ArrayLike<number> | Iterable<number>): string {
  const list = Array.isArray(ids) ? (ids as number[]) : Array.from(ids as Iterable<number>);
  validateTokenIds(list, GPT2_VOCAB_SIZE, 'decode');
  const table = gpt2TokenBytes();
  let length = 0;
  for (const id of list) length += (table[id] as Uint8Array).length;
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const id of list) {
    const piece = table[id] as Uint8Array;
    bytes.set(piece, offset);
    offset += piece.length;
  }
  // Invalid UTF-8 (say a multi-byte character cut by the end of the ids) becomes U+FFFD, as tiktoken's
  // errors="replace" does; gpt-tokenizer's own decode silently drops a cut character at the end instead.
  return utf8.decode(bytes);
}

export function encodeGpt2Documents(documents: Iterable<string>, options: EncodeOptions = {}): number[] {
  const ids: number[] = [];
  let index = 0;
  for (const document of documents) {
    let encoded: number[];
    try {
      encoded = encodeGpt2(document, options);
    } catch (error) {
      if (JudgekitError.is(error)) {
        throw new JudgekitError(error.kind, `Document ${index}: ${error.message}`, { location: `document ${index}`, cause: error });
      }
      throw error;
    }
    for (const id of encoded) ids.push(id);
    ids.push(END_OF_TEXT_ID);
    index++;
  }
  return ids;
}

/** The tokenizer as an object, for code that takes a `Gpt2Tokenizer`. */
export const gpt2Tokenizer: Gpt2Tokenizer = Object.freeze({
  vocabSize: GPT2_VOCAB_SIZE,
  endOfTextId: END_OF_TEXT_ID,
  encode: encodeGpt2,
  decode: decodeGpt2,
  encodeDocuments: encodeGpt2Documents,
});

if (r50kVocabularySize !== GPT2_VOCAB_SIZE || (r50kRanks as unknown[]).length !== END_OF_TEXT_ID) {
  // A different gpt-tokenizer major could change the table; fail loudly at import rather than mis-tokenize.
  throw new JudgekitError('internal', `gpt-tokenizer's r50k_base has ${r50kVocabularySize} tokens, expected ${GPT2_VOCAB_SIZE}. Install gpt-tokenizer@3.`);
}

// The GPT-2 tokenizer (r50k_base) as core's Tokenizer contract, from the gpt-tokenizer package: the unigram
// model's checkpoints count GPT-2 token ids, so its test loss reads the same token files as a GPT-2's.
// `<|endoftext|>` is split out here because gpt-tokenizer only recognises it at the start of a text.
import { JudgekitError, type Tokenizer, type TokenizerEncodeOptions } from '@judgekit/core';
import { decode, encode } from 'gpt-tokenizer/encoding/r50k_base';

const END_OF_TEXT = '<|endoftext|>';
export const END_OF_TEXT_ID = 50256;
export const GPT2_VOCAB_SIZE = 50257;

function encodeGpt2(text: string, options: TokenizerEncodeOptions = {}): number[] {
  const pieces = text.split(END_OF_TEXT);
  if (pieces.length > 1 && !options.allowEndOfText) {
    throw new JudgekitError('input', `The text contains ${END_OF_TEXT} at character ${text.indexOf(END_OF_TEXT)}; pass { allowEndOfText: true } to read it as token ${END_OF_TEXT_ID}, or remove it.`);
  }
  return pieces.flatMap((piece, index) => [...(index > 0 ? [END_OF_TEXT_ID] : []), ...(piece === '' ? [] : encode(piece, { disallowedSpecial: new Set() }))]);
}

export const gpt2Tokenizer: Tokenizer = Object.freeze({
  id: 'GPT-2',
  endOfText: END_OF_TEXT_ID,
  encode: encodeGpt2,
  decode: (ids: readonly number[]) => decode(ids),
});

// The GPT-2 tokenizer as core's `Tokenizer` contract: what the ONNX backend's models hand to the study's protocol
// (test-loss token sources, answer generation). Named `GPT-2` so protocol text reads as it always has.
import type { Tokenizer } from '@judgekit/core';
import { decodeGpt2, encodeGpt2, END_OF_TEXT_ID } from './gpt2-tokenizer.js';

export const gpt2TextTokenizer: Tokenizer = Object.freeze({
  id: 'GPT-2',
  endOfText: END_OF_TEXT_ID,
  encode: (text: string, options?: { allowEndOfText?: boolean }) => encodeGpt2(text, options),
  decode: (ids: readonly number[]) => decodeGpt2(ids),
});

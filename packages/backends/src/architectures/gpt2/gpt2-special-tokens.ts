// GPT-2's special token: `<|endoftext|>` ends every document and pads fine-tuning batches (tiktoken's r50k_base).
import type { SpecialTokens } from '../architecture.js';

export const END_OF_TEXT = '<|endoftext|>';
export const END_OF_TEXT_ID = 50256;
/** r50k_base: 50,256 merges plus `<|endoftext|>`. */
export const GPT2_VOCAB_SIZE = 50257;

export const GPT2_SPECIAL_TOKENS: SpecialTokens = Object.freeze({ endOfText: END_OF_TEXT_ID, pad: END_OF_TEXT_ID });

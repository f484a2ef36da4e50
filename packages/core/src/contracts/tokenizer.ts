// Text to token ids and back, as a model backend does it. The study's protocol needs no more: test-loss token
// sources tokenize documents (each followed by the end-of-text id) and answer generation encodes prompts, stops
// at end of text and decodes.

export interface TokenizerEncodeOptions {
  /**
   * Read the end-of-text marker in the text as the end-of-text id. Without it the tokenizer refuses text holding
   * the marker (GPT-2's does, as tiktoken does), so a document that merely mentions it never ends early.
   */
  allowEndOfText?: boolean;
}

export interface Tokenizer {
  /** Names the tokenizer in protocol text, e.g. `GPT-2` in "GPT-2 tokens of 3 JSONL documents". */
  readonly id: string;
  /**
   * The id appended after each document and the one generation stops at (GPT-2's end-of-text id). Its decoded text,
   * `decode([endOfText])` (`<|endoftext|>` for GPT-2), separates the documents of a plain-text token file.
   */
  readonly endOfText: number;
  encode(text: string, options?: TokenizerEncodeOptions): number[];
  decode(ids: readonly number[]): string;
}

import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { extractAnswerText, getPromptTemplate, JudgekitError } from '@judgekit/core';
import { gpt2Architecture } from '../gpt2/gpt2-architecture.js';
import { specialTokensOf, tokenizerOf } from '../index.js';
import { createTinyLlama, TINY_LLAMA_SPECIAL, type TinyLlama } from './create-tiny-llama.js';
import { llamaArchitecture } from './llama-architecture.js';
import type { LlamaConfig } from './llama-config.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tiny(options: Parameters<typeof createTinyLlama>[0] = {}): Promise<TinyLlama> {
  const made = await createTinyLlama(options);
  dirs.push(made.dir);
  return made;
}

describe('the Llama tokenizer from the checkpoint folder', () => {
  it("prepends BOS as tokenizer.json's post_processor says, and decode drops it again: decode(encode(text)) is the text", async () => {
    const made = await tiny({ seed: 1 });
    const tokenizer = await tokenizerOf(llamaArchitecture, { path: made.checkpointPath, config: made.config });
    const text = 'Rewrite the sentence: "the cat sat."\n\nÜber 3 ✓';
    const ids = tokenizer.encode(text);
    expect(ids[0]).toBe(TINY_LLAMA_SPECIAL.bos);
    expect(ids.filter((id) => id === TINY_LLAMA_SPECIAL.bos)).toHaveLength(1);
    expect(ids.every((id) => id >= 0 && id < made.config.vocabSize)).toBe(true);
    expect(tokenizer.decode(ids)).toBe(text);
    expect(tokenizer.decode(ids.slice(1))).toBe(text);
    // Other special tokens decode to their text; only the leading BOS the template added is dropped.
    expect(tokenizer.decode([...ids, TINY_LLAMA_SPECIAL.bos])).toBe(`${text}<s>`);
    // The merges apply: " the" is one token.
    expect(tokenizer.encode(' the').length).toBe(2);
  });

  it('adds no BOS when the post_processor has none (as SmolLM-style tokenizers)', async () => {
    const made = await tiny({ seed: 1, addBos: false });
    const tokenizer = await tokenizerOf(llamaArchitecture, { path: made.checkpointPath, config: made.config });
    expect(tokenizer.encode('hi')[0]).not.toBe(TINY_LLAMA_SPECIAL.bos);
    expect(tokenizer.decode(tokenizer.encode('hi'))).toBe('hi');
  });

  it("ends text with the config's eos_token_id, decoded as its marker, and refuses text holding the marker unless allowed", async () => {
    const made = await tiny({ seed: 1 });
    const tokenizer = await tokenizerOf(llamaArchitecture, { path: made.checkpointPath, config: made.config });
    expect(tokenizer.endOfText).toBe(TINY_LLAMA_SPECIAL.eos);
    expect(tokenizer.decode([tokenizer.endOfText])).toBe('</s>');
    expect(() => tokenizer.encode('a </s> b')).toThrow('the text holds the end-of-text marker "</s>"; pass allowEndOfText to read it as token 2.');
    expect(tokenizer.encode('a</s>', { allowEndOfText: true }).at(-1)).toBe(TINY_LLAMA_SPECIAL.eos);
  });

  it("tokenizes the study's Alpaca prompts with BOS, and the study's answer extraction gets the answer back", async () => {
    const made = await tiny({ seed: 1 });
    const tokenizer = await tokenizerOf(llamaArchitecture, { path: made.checkpointPath, config: made.config });
    const prompt = getPromptTemplate('book').formatPrompt({ instruction: 'Convert 45 kilometers to meters.', input: '' });
    const ids = tokenizer.encode(prompt, { allowEndOfText: true });
    expect(ids[0]).toBe(TINY_LLAMA_SPECIAL.bos);
    expect(tokenizer.decode(ids)).toBe(prompt);
    // As generateAnswers does: decode prompt + completion, cut the prompt's characters off, drop the header, strip.
    const completion = tokenizer.encode('\n\n### Response:\n45000 meters.').slice(1);
    expect(extractAnswerText(tokenizer.decode([...ids, ...completion]), prompt)).toBe('45000 meters.');
  });

  it('names the folder when tokenizer.json is missing, and the id when the config names a token the tokenizer lacks', async () => {
    const made = await tiny({ seed: 1 });
    const withPad: LlamaConfig = { ...made.config, padTokenId: 999 };
    await expect(tokenizerOf(llamaArchitecture, { path: made.checkpointPath, config: withPad })).rejects.toThrow(
      `${made.tokenizerPath} has no token with id 999, the config's "pad_token_id".`,
    );
    await rm(made.tokenizerPath);
    const error = await tokenizerOf(llamaArchitecture, { path: made.checkpointPath, config: made.config }).catch((e: unknown) => e);
    expect(JudgekitError.is(error) && error.message).toBe(`${made.checkpointPath}: a Llama model needs its tokenizer: no tokenizer.json in ${made.dir}. Copy the checkpoint's tokenizer.json beside it.`);
  });
});

describe('special tokens per model', () => {
  it("come from a Llama config: eos ends text, pad is pad_token_id or else eos; GPT-2's stay the family's", async () => {
    const made = await tiny({ seed: 1 });
    expect(specialTokensOf(llamaArchitecture, made.config)).toEqual({ endOfText: 2, pad: 2 });
    const withPad: LlamaConfig = { ...made.config, padTokenId: 0 };
    expect(specialTokensOf(llamaArchitecture, withPad)).toEqual({ endOfText: 2, pad: 0 });
    const { eosTokenId: _eos, ...noEos } = made.config;
    expect(() => specialTokensOf(llamaArchitecture, noEos)).toThrow('a Llama config must state "eos_token_id"');
    expect(specialTokensOf(gpt2Architecture, { vocabSize: 96, contextLength: 8, embDim: 8, nLayers: 1, nHeads: 2 })).toBe(gpt2Architecture.specialTokens);
    expect(await tokenizerOf(gpt2Architecture, { path: made.checkpointPath, config: made.config })).toBe(gpt2Architecture.createTokenizer());
  });

  it("has no family-wide Llama tokenizer or special tokens: the static ones throw, naming the per-model methods", () => {
    expect(() => llamaArchitecture.createTokenizer()).toThrow(/each checkpoint brings its own .*use specialTokensOf \/ tokenizerOf/);
    expect(() => llamaArchitecture.specialTokens).toThrow(/Llama models have no family-wide special tokens/);
  });
});

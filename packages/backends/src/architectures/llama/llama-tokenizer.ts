// A Llama checkpoint's own tokenizer as core's `Tokenizer`: the `tokenizer.json` beside it (with
// `tokenizer_config.json` when present), run by @huggingface/tokenizers.
//
// BOS: encoding puts in front of the text the special tokens the file's post_processor template puts there, as
// Hugging Face's tokenizers do by default (add_special_tokens): a Llama 2 style template `<s> $A` prepends BOS to
// every test-loss document and every prompt, as `tokenizer(text)` does in Python; a tokenizer without such a
// template (SmolLM's) adds nothing. Tokens a template would put after the text (EOS) are not added: the study's
// protocol appends the end-of-text id itself where it wants one (after each test-loss document), and a prompt must
// not end in it. Decoding drops those leading template tokens again, so decode(encode(text)) is the text and the
// study's answer extraction (decode prompt + answer, cut the prompt's characters off) works unchanged; every other
// special token decodes to its text, `decode([endOfText])` to the EOS marker that separates text documents.
// The end-of-text id is the model config's `eos_token_id`: appended after each test-loss document and where
// generation stops.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { JudgekitError, pathExists, type Tokenizer, type TokenizerEncodeOptions } from '@judgekit/core';
import type { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import type { SpecialTokens } from '../architecture.js';
import type { LlamaConfig } from './llama-config.js';

export const LLAMA_TOKENIZER_FILE = 'tokenizer.json';
export const LLAMA_TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';

/**
 * A model's special tokens from its config: `eos_token_id` ends documents and stops generation, `pad_token_id`
 * (else the EOS id) pads fine-tuning batches.
 */
export function llamaSpecialTokens(config: LlamaConfig, file = '<config>'): SpecialTokens {
  if (config.eosTokenId === undefined) {
    throw new JudgekitError('config', `${file}: a Llama config must state "eos_token_id" (it ends each test-loss document and stops generation).`, { file, location: 'eos_token_id' });
  }
  return Object.freeze({ endOfText: config.eosTokenId, pad: config.padTokenId ?? config.eosTokenId });
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new JudgekitError('model', `cannot read ${path}: ${(error as Error).message}`, { file: path, cause: error });
  }
  try {
    const json = JSON.parse(text) as unknown;
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('not a JSON object');
    return json as Record<string, unknown>;
  } catch (error) {
    throw new JudgekitError('model', `${path} is not a valid tokenizer file: ${(error as Error).message}`, { file: path, cause: error });
  }
}

/** The ids the post_processor template puts before a text (Llama 2's `<s>`), found by encoding a probe with and without it. */
function templatePrefix(hf: HfTokenizer, file: string): number[] {
  const probe = 'a';
  const bare: number[] = hf.encode(probe, { add_special_tokens: false }).ids;
  const full: number[] = hf.encode(probe).ids;
  for (let start = 0; start + bare.length <= full.length; start++) {
    if (bare.every((id, i) => full[start + i] === id)) return full.slice(0, start);
  }
  throw new JudgekitError('model', `${file}: its post_processor changes the text's own tokens; judgekit reads only templates that add special tokens around the text.`, { file });
}

/**
 * Wrap a parsed tokenizer.json (and tokenizer_config.json) for a model whose ids come from `config`; `HfTokenizerClass`
 * is @huggingface/tokenizers' `Tokenizer`, imported by the caller only when a Llama model is opened.
 */
export function llamaTokenizerFromJson(
  HfTokenizerClass: typeof HfTokenizer,
  tokenizerJson: Record<string, unknown>,
  tokenizerConfig: Record<string, unknown>,
  config: LlamaConfig,
  file = LLAMA_TOKENIZER_FILE,
): Tokenizer {
  let hf: HfTokenizer;
  try {
    hf = new HfTokenizerClass(tokenizerJson, tokenizerConfig);
  } catch (error) {
    throw new JudgekitError('model', `${file}: @huggingface/tokenizers cannot load it: ${(error as Error).message}`, { file, cause: error });
  }
  const { endOfText } = llamaSpecialTokens(config, file);
  const marker = hf.id_to_token(endOfText);
  if (marker === undefined) {
    throw new JudgekitError('model', `${file} has no token with id ${endOfText}, the config's "eos_token_id".`, { file, location: 'eos_token_id' });
  }
  for (const [key, id] of [['bos_token_id', config.bosTokenId], ['pad_token_id', config.padTokenId]] as const) {
    if (id !== undefined && hf.id_to_token(id) === undefined) {
      throw new JudgekitError('model', `${file} has no token with id ${id}, the config's "${key}".`, { file, location: key });
    }
  }
  const cleanUp = tokenizerConfig.clean_up_tokenization_spaces === true;
  const maxId = config.vocabSize - 1;
  const prefix = templatePrefix(hf, file).filter((id) => id !== endOfText);
  const startsWithPrefix = (ids: readonly number[]) => prefix.length > 0 && ids.length >= prefix.length && prefix.every((id, i) => ids[i] === id);
  return Object.freeze({
    id: typeof tokenizerConfig.tokenizer_class === 'string' && tokenizerConfig.tokenizer_class !== '' ? `Llama (${tokenizerConfig.tokenizer_class})` : 'Llama',
    endOfText,
    encode(text: string, options?: TokenizerEncodeOptions): number[] {
      // As GPT-2's tokenizer: text merely mentioning the end-of-text marker is refused unless the caller allows it.
      if (!options?.allowEndOfText && text.includes(marker)) {
        throw new JudgekitError('input', `the text holds the end-of-text marker ${JSON.stringify(marker)}; pass allowEndOfText to read it as token ${endOfText}.`);
      }
      const ids = [...prefix, ...hf.encode(text, { add_special_tokens: false }).ids];
      for (const id of ids) {
        if (id > maxId) throw new JudgekitError('model', `${file} gave token id ${id}, beyond the model's vocab_size ${config.vocabSize}.`, { file });
      }
      return ids;
    },
    decode(ids: readonly number[]): string {
      const text = startsWithPrefix(ids) ? ids.slice(prefix.length) : [...ids];
      return hf.decode(text, { skip_special_tokens: false, clean_up_tokenization_spaces: cleanUp });
    },
  });
}

/** The tokenizer in the folder of `modelPath` (a checkpoint or an ONNX file built from one). */
export async function loadLlamaTokenizer(modelPath: string, config: LlamaConfig): Promise<Tokenizer> {
  const dir = dirname(modelPath);
  const path = join(dir, LLAMA_TOKENIZER_FILE);
  if (!(await pathExists(path))) {
    throw new JudgekitError('model', `${modelPath}: a Llama model needs its tokenizer: no ${LLAMA_TOKENIZER_FILE} in ${dir}. Copy the checkpoint's tokenizer.json beside it.`, { file: path });
  }
  const configPath = join(dir, LLAMA_TOKENIZER_CONFIG_FILE);
  const tokenizerConfig = (await pathExists(configPath)) ? await readJson(configPath) : {};
  const { Tokenizer: HfTokenizerClass } = await import('@huggingface/tokenizers');
  return llamaTokenizerFromJson(HfTokenizerClass, await readJson(path), tokenizerConfig, config, path);
}

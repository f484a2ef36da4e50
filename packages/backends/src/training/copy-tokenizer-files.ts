// Checkpoint folders that bring their own tokenizer (Hugging Face's tokenizer.json and its companions, which a Llama
// model is read with) keep it when judgekit writes a new checkpoint from them: a fine-tuned model is generated
// from and measured with the same tokenizer as its base.
import { copyFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathExists } from '@judgekit/core';

/** Files beside a checkpoint that describe its tokenizer, as Hugging Face lays them out. */
export const TOKENIZER_FILES: readonly string[] = Object.freeze(['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']);

/** Copy the tokenizer files beside `sourceCheckpoint` (those that exist) into `targetDir`; returns the names copied. */
export async function copyTokenizerFiles(sourceCheckpoint: string, targetDir: string): Promise<string[]> {
  const copied: string[] = [];
  for (const name of TOKENIZER_FILES) {
    const from = join(dirname(sourceCheckpoint), name);
    if (!(await pathExists(from))) continue;
    await copyFile(from, join(targetDir, name));
    copied.push(name);
  }
  return copied;
}

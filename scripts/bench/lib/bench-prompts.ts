// The generation benchmark's prompts: the book dataset's 110-record test split, formatted with the book template
// and tokenized with judgekit's GPT-2 tokenizer.
import { existsSync } from 'node:fs';
import { formatAlpacaPrompt, splitDataset } from '@judgekit/core';
import { bookDatasetSource, loadAlpacaDataset } from '@judgekit/datasets';
import { encodeGpt2 } from '@judgekit/backends/tokenizer';

const SHARED_COPY = '/work/shared/data/alpaca-book/instruction-data.json';

export async function benchPrompts(): Promise<{ texts: string[]; ids: number[][]; source: string }> {
  const pinned = bookDatasetSource();
  const local = process.env.JUDGEKIT_BENCH_DATASET ?? (existsSync(SHARED_COPY) ? SHARED_COPY : undefined);
  const loaded = await loadAlpacaDataset(local ? { location: local, ...(pinned.sha256 ? { sha256: pinned.sha256 } : {}) } : pinned);
  const texts = splitDataset(loaded.records).test.map((record) => formatAlpacaPrompt(record, 'book'));
  return { texts, ids: texts.map((text) => encodeGpt2(text, { allowEndOfText: true })), source: 'the book dataset (SHA-256 pinned), test split' };
}

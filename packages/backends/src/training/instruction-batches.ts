// The book's instruction fine-tuning batches as pure functions: tokenized training texts, the collate rule
// (append one <|endoftext|>, pad with it, shift by one, ignore all padding targets but the first, truncate to the
// context), optional prompt masking, and the seeded per-epoch order with the last partial batch dropped.
import { JudgekitError, formatAlpacaPrompt, formatTrainingText, seededRandom, shuffled, type AlpacaRecord, type PromptTemplateRef } from '@judgekit/core';
import type { TokenBatch } from './gpt2-trainer.js';

const IGNORE_INDEX = -100;

/** One training example: the token ids of its training text and how many of them are the prompt. */
export interface EncodedExample {
  ids: number[];
  promptLength: number;
}

export interface CollateOptions {
  /** Pad (and end-of-text) id: the architecture's pad token. */
  padTokenId: number;
  /** Truncate inputs and targets to this many positions (the model's context length). */
  maxLength?: number;
  /** Ignore the targets that predict prompt tokens (a known variant; the book does not mask). */
  maskPrompt?: boolean;
}

/** Tokenize each record's training text (prompt + response) and its prompt, with the given encoder. */
export function encodeExamples(records: readonly AlpacaRecord[], encode: (text: string) => number[], template: PromptTemplateRef = 'book'): EncodedExample[] {
  return records.map((record) => ({
    ids: encode(formatTrainingText(record, template)),
    promptLength: encode(formatAlpacaPrompt(record, template)).length,
  }));
}

/**
 * The book's `custom_collate_fn`: each item gets one pad token appended and is padded to the longest item + 1;
 * inputs drop the last position, targets the first; in each target row every pad token after the first becomes
 * -100; rows are truncated to `maxLength`. With `maskPrompt`, targets that predict prompt tokens are -100 too.
 */
export function collateInstructionBatch(examples: readonly EncodedExample[], options: CollateOptions): TokenBatch {
  const pad = options.padTokenId;
  if (examples.length === 0) throw new JudgekitError('internal', 'collateInstructionBatch: empty batch.');
  const padded = Math.max(...examples.map((example) => example.ids.length + 1));
  const seq = Math.min(padded - 1, options.maxLength ?? Number.POSITIVE_INFINITY);
  if (seq < 1) throw new JudgekitError('dataset', 'Every example in a batch is empty: nothing to train on.');
  const inputs = new Int32Array(examples.length * seq);
  const targets = new Int32Array(examples.length * seq);
  examples.forEach((example, row) => {
    const full = [...example.ids, pad];
    while (full.length < padded) full.push(pad);
    let seenPad = false;
    for (let j = 0; j < padded - 1; j++) {
      let target = full[j + 1] as number;
      if (target === pad) {
        if (seenPad) target = IGNORE_INDEX;
        seenPad = true;
      }
      if (options.maskPrompt && j < example.promptLength - 1) target = IGNORE_INDEX;
      if (j < seq) {
        inputs[row * seq + j] = full[j] as number;
        targets[row * seq + j] = target;
      }
    }
  });
  return { inputs, targets, batch: examples.length, seq };
}

/** The training order of epoch `epoch` (1-based): a seeded shuffle that depends only on the seed and the epoch. */
export function epochOrder(count: number, seed: number, epoch: number): number[] {
  const indices = Array.from({ length: count }, (_, i) => i);
  return shuffled(indices, seededRandom(`${seed}/epoch/${epoch}`));
}

/** Split an order into full batches of `batchSize` (the last partial batch is dropped, as the book's loader does). */
export function fullBatches(order: readonly number[], batchSize: number): number[][] {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new JudgekitError('config', `Batch size must be a positive integer, got ${String(batchSize)}.`);
  const batches: number[][] = [];
  for (let start = 0; start + batchSize <= order.length; start += batchSize) batches.push(order.slice(start, start + batchSize));
  return batches;
}

/** Evaluation batches: in order, the last partial batch kept (the book's validation loader). */
export function evaluationBatches(count: number, batchSize: number): number[][] {
  const batches: number[][] = [];
  for (let start = 0; start < count; start += batchSize) batches.push(Array.from({ length: Math.min(batchSize, count - start) }, (_, i) => start + i));
  return batches;
}

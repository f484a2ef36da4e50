// How the study's answers are batched: at most 256 new tokens each, prompts sorted longest first into batches of
// a fixed size, each batch one `GenerativeModel.generate` call (and one resume point).
import { JudgekitError } from '../../errors.js';

export const STUDY_MAX_NEW_TOKENS = 256;

/**
 * Prompts per forward pass by default. On a CPU a decode step streams every weight once whatever the batch, so more
 * rows per step cost little until the matmuls turn compute-bound: for GPT-2 small on 2 cores a 32-row step took
 * about 2 ms per row against 25 ms for one row. The slot KV cache of 32 rows of GPT-2 small is about 1 GB at 450
 * positions (73 KB per row and position); larger models want smaller batches.
 */
export const DEFAULT_GENERATION_BATCH_SIZE = 32;

/** Order of prompt indices that groups similar lengths (longest first), so batches carry little padding. */
export function lengthSortedBatches(lengths: readonly number[], batchSize: number): number[][] {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new JudgekitError('usage', `batch size must be an integer >= 1, got ${String(batchSize)}.`);
  }
  const order = lengths.map((_, i) => i).sort((a, b) => (lengths[b] as number) - (lengths[a] as number) || a - b);
  const batches: number[][] = [];
  for (let i = 0; i < order.length; i += batchSize) batches.push(order.slice(i, i + batchSize));
  return batches;
}

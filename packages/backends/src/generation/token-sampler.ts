// Choosing the next token from one row of logits: greedy (the study's protocol) or temperature / top-k / top-p
// sampling with a seeded random source so sampled runs repeat.
import { JudgekitError, type Random } from '@judgekit/core';

export interface SamplingOptions {
  /** 0 or absent: greedy. */
  temperature?: number;
  /** Keep only the k most likely tokens (0 or absent: all). */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p (1 or absent: all). */
  topP?: number;
}

export function isGreedy(options: SamplingOptions): boolean {
  return options.temperature === undefined || options.temperature === 0;
}

export function validateSamplingOptions(options: SamplingOptions): void {
  const { temperature, topK, topP } = options;
  if (temperature !== undefined && !(Number.isFinite(temperature) && temperature >= 0)) {
    throw new JudgekitError('usage', `temperature must be a number >= 0 (0 = greedy), got ${String(temperature)}.`);
  }
  if (topK !== undefined && !(Number.isInteger(topK) && topK >= 0)) {
    throw new JudgekitError('usage', `top-k must be an integer >= 0 (0 = no limit), got ${String(topK)}.`);
  }
  if (topP !== undefined && !(Number.isFinite(topP) && topP > 0 && topP <= 1)) {
    throw new JudgekitError('usage', `top-p must be in (0, 1], got ${String(topP)}.`);
  }
}

/** Index of the largest logit in `logits[offset, offset + size)`; the first one on a tie, as torch.argmax. */
export function argmax(logits: ArrayLike<number>, offset = 0, size = logits.length - offset): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < size; i++) {
    const value = logits[offset + i] as number;
    if (value > bestValue) {
      bestValue = value;
      best = i;
    }
  }
  return best;
}

/**
 * The next token for one row. Order as the book's `generate`: top-k on the logits, then temperature, softmax,
 * then top-p on the sorted probabilities, then one draw from `random`.
 */
export function sampleToken(logits: ArrayLike<number>, options: SamplingOptions, random: Random, offset = 0, size = logits.length - offset): number {
  if (isGreedy(options)) return argmax(logits, offset, size);
  const temperature = options.temperature as number;
  const order = Array.from({ length: size }, (_, i) => i);
  const value = (i: number) => logits[offset + i] as number;
  // Stable sort: equal logits keep index order, so a draw is reproducible across engines.
  order.sort((a, b) => value(b) - value(a) || a - b);
  let kept = options.topK && options.topK > 0 ? Math.min(options.topK, size) : size;
  const top = value(order[0] as number);
  const probabilities = new Float64Array(kept);
  let total = 0;
  for (let r = 0; r < kept; r++) {
    const p = Math.exp((value(order[r] as number) - top) / temperature);
    probabilities[r] = p;
    total += p;
  }
  if (options.topP !== undefined && options.topP < 1) {
    let cumulative = 0;
    for (let r = 0; r < kept; r++) {
      cumulative += (probabilities[r] as number) / total;
      if (cumulative >= options.topP) {
        kept = r + 1;
        break;
      }
    }
    total = 0;
    for (let r = 0; r < kept; r++) total += probabilities[r] as number;
  }
  let target = random() * total;
  for (let r = 0; r < kept; r++) {
    target -= probabilities[r] as number;
    if (target < 0) return order[r] as number;
  }
  return order[kept - 1] as number;
}

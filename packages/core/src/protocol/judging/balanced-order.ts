// Which model sits in which slot of the batched prompt. A seeded base permutation is rotated by the item index,
// so over any N consecutive items every model is shown in every slot exactly once: position bias averages out
// across models instead of favouring whichever model a random shuffle happened to put first more often.
import { seededRandom, shuffled } from '../../util/seeded-random.js';

export interface BalancedOrderOptions {
  seed: number | string;
  /** Draw a fresh base permutation for each repeat, so repeats see different orders. */
  reseedPerRepeat?: boolean;
  repeat?: number;
}

/** The seeded base permutation of `0..modelCount-1`. */
export function basePermutation(modelCount: number, options: BalancedOrderOptions): number[] {
  const seed = options.reseedPerRepeat && (options.repeat ?? 0) > 0 ? `${String(options.seed)}/repeat/${options.repeat}` : options.seed;
  return shuffled(
    Array.from({ length: modelCount }, (_, model) => model),
    seededRandom(seed),
  );
}

/** `order[slot]` = index of the model shown as "Model slot+1" for item `index`. */
export function balancedOrder(modelCount: number, index: number, options: BalancedOrderOptions): number[] {
  if (modelCount === 0) return [];
  const base = basePermutation(modelCount, options);
  const shift = ((index % modelCount) + modelCount) % modelCount;
  return base.map((_, slot) => base[(slot + shift) % modelCount] as number);
}

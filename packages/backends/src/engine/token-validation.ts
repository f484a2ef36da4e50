// Token ids are checked before they reach the runtime: ONNX Runtime's Gather silently wraps negative ids
// (-1 becomes the last id: GPT-2's end of text), which would turn a tokenizer bug into a plausible-looking loss.
import { JudgekitError } from '@judgekit/core';

/** Index of the first id outside [0, vocabSize) or not an integer, or -1 when all are valid. */
function firstInvalidTokenIndex(ids: ArrayLike<number>, vocabSize: number, allowIgnore = false): number {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (allowIgnore && id === -100) continue;
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) return i;
  }
  return -1;
}

/** Throw a clear error naming the position of the first bad id. */
export function assertValidTokenIds(ids: ArrayLike<number>, vocabSize: number, what: string, options: { sequence?: number; allowIgnore?: boolean } = {}): void {
  const bad = firstInvalidTokenIndex(ids, vocabSize, options.allowIgnore ?? false);
  if (bad < 0) return;
  const where = options.sequence ? `row ${Math.floor(bad / options.sequence)}, position ${bad % options.sequence}` : `index ${bad}`;
  throw new JudgekitError(
    'input',
    `${what}: token id ${ids[bad]} at ${where} is not an integer in [0, ${vocabSize})${options.allowIgnore ? ' (or -100 to ignore)' : ''}; check the tokenizer matches the model's vocabulary.`,
    { location: where },
  );
}

/** Int32 -> BigInt64 for int64 ONNX inputs. */
export function toInt64(values: ArrayLike<number>): BigInt64Array {
  const out = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = BigInt(values[i]!);
  return out;
}

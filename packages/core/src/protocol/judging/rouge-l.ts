// The reference judge's score: ROUGE-L F1 between an answer and the reference output, over lower-cased word
// tokens, as an integer 0-100. Offline and deterministic, so it works as a free baseline and a sanity check.

/** Lower-cased words: runs of letters and digits (apostrophes inside a word kept). */
export function wordTokens(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu) ?? [];
}

/** Length of the longest common subsequence, in O(min(n, m)) memory. */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  const [long, short] = a.length >= b.length ? [a, b] : [b, a];
  let previous = new Uint32Array(short.length + 1);
  let current = new Uint32Array(short.length + 1);
  for (const token of long) {
    for (let j = 1; j <= short.length; j++) {
      current[j] = token === short[j - 1] ? (previous[j - 1] as number) + 1 : Math.max(previous[j] as number, current[j - 1] as number);
    }
    [previous, current] = [current, previous];
  }
  return previous[short.length] as number;
}

/** ROUGE-L F1 in [0, 1]. Two empty texts match perfectly; one empty text scores 0. */
export function rougeLF1(answer: string, reference: string): number {
  const a = wordTokens(answer);
  const r = wordTokens(reference);
  if (a.length === 0 && r.length === 0) return 1;
  if (a.length === 0 || r.length === 0) return 0;
  const lcs = lcsLength(a, r);
  if (lcs === 0) return 0;
  const precision = lcs / a.length;
  const recall = lcs / r.length;
  return (2 * precision * recall) / (precision + recall);
}

/** ROUGE-L F1 x 100, rounded: the reference judge's 0-100 score. */
export function rougeLScore(answer: string, reference: string): number {
  return Math.round(rougeLF1(answer, reference) * 100);
}

// The distribution over score values at the position of the sampled score, read from token log-probabilities,
// and its expected value (G-Eval, Liu et al. 2023: the probability-weighted sum of the score tokens).
//
// Multi-token numbers: the top alternatives at a position are conditional on the tokens sampled before it, so
// the distribution of a number is only readable when the whole number is one token. OpenAI's tokenizers (cl100k,
// o200k) write every integer 0-999 as one token, so a 0-100 score is one token and its alternatives ("85", " 90",
// "7") are whole numbers. Where the sampled score takes more than one token (tokenizers that split digits, common
// in local models), no distribution is recorded and the judgment says why. Caveat: with a digit-splitting
// tokenizer a one-digit sampled score looks like one token, and an alternative "8" may be the start of "85";
// such endpoints should not use `logprobs: true` (docs/judges.md).
import type { TokenLogprob } from '../contracts/chat-model-provider.js';
import type { ScoreDistribution } from '../contracts/judge.js';

export interface ScoreScale {
  min: number;
  max: number;
}

export const DEFAULT_SCORE_SCALE: ScoreScale = { min: 0, max: 100 };

/**
 * The distribution over integer scores in `scale` at the token that holds the sampled `score` in `reply`
 * (`tokens` are the reply's tokens in order). Probabilities are renormalised over the score tokens in the top
 * alternatives; `mass` is how much probability they held.
 */
export function scoreDistribution(reply: string, score: number, tokens: readonly TokenLogprob[] | undefined, scale: ScoreScale = DEFAULT_SCORE_SCALE): ScoreDistribution {
  if (!tokens || tokens.length === 0) return { unavailable: 'the provider returned no token log-probabilities' };
  const text = tokens.map((t) => t.token).join('');
  const digits = String(score);
  const match = new RegExp(`(?<![\\d.])${digits}(?!\\d)`).exec(text);
  if (!match) return { unavailable: `the score ${digits} is not in the reply's tokens` };
  const start = match.index;
  const end = start + digits.length;
  let offset = 0;
  for (const [k, token] of tokens.entries()) {
    const from = offset;
    offset += token.token.length;
    if (offset <= start) continue;
    // This token holds the score's first character.
    if (offset < end) {
      const parts = [];
      for (let j = k, at = from; j < tokens.length && at < end; j++) {
        parts.push(JSON.stringify((tokens[j] as TokenLogprob).token));
        at += (tokens[j] as TokenLogprob).token.length;
      }
      return { unavailable: `the score ${digits} spans ${parts.length} tokens (${parts.join(', ')}): the alternatives of a later token depend on the sampled first one, so no distribution is read` };
    }
    if (!/^\s*\d+\s*$/.test(token.token)) return { unavailable: `the score's token ${JSON.stringify(token.token)} holds more than the number` };
    const candidates = token.top.some((t) => t.token === token.token) ? token.top : [{ token: token.token, logprob: token.logprob }, ...token.top];
    const byValue = new Map<number, number>();
    for (const candidate of candidates) {
      if (!/^\s*\d+\s*$/.test(candidate.token)) continue;
      const value = Number(candidate.token.trim());
      if (value < scale.min || value > scale.max) continue;
      byValue.set(value, (byValue.get(value) ?? 0) + Math.exp(candidate.logprob));
    }
    let mass = 0;
    for (const p of byValue.values()) mass += p;
    if (!(mass > 0)) return { unavailable: 'no score token among the alternatives' };
    const probabilities: Record<string, number> = {};
    let expected = 0;
    for (const [value, p] of [...byValue].sort((a, b) => a[0] - b[0])) {
      probabilities[String(value)] = p / mass;
      expected += (value * p) / mass;
    }
    return { expected, mass, probabilities };
  }
  return { unavailable: `the score ${digits} is not in the reply's tokens` };
}

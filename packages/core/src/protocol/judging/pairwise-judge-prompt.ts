// The pairwise judge's prompt (the study's comparative prompt, cut down to two answers shown as "Model A" and
// "Model B" and a verdict instead of scores), its reply schema and parser, and the seeded design of which model
// pairs an item shows.
import { jsonObjectsIn } from './json-in-text.js';
import { extractJsonText } from './batched-judge-prompt.js';
import { quoteReply, type ReplyParseOptions } from './single-judge-prompt.js';
import { fenced } from './text-fence.js';
import { seededRandom, shuffled } from '../../util/seeded-random.js';

export interface PairwiseJudgePromptInput {
  /** The full formatted Alpaca prompt. */
  prompt: string;
  /** The reference output. */
  output: string;
  /** The answer shown as "Model A" (first). */
  first: string;
  /** The answer shown as "Model B" (second). */
  second: string;
}

const INSTRUCTIONS_HEAD = `You are judging the comparative capabilities of two different LLM
models.  They have been trained to follow instructions.

The input was this:
`;

const INSTRUCTIONS_FORMAT = `Please decide which model's response is better, or whether they are equally
good, and respond with a JSON structure like this:

\`\`\`
{"winner": "A", "comments": "optional comments"}
\`\`\`

...where "winner" is "A" if Model A's response is better, "B" if Model B's
response is better, or "tie" if neither is better than the other.
You can optionally add the "comments" field if you want to explain your
reasoning.

Here are the models' responses:`;

/** The pairwise prompt, with every quoted text in a fence it cannot close. */
export function formatPairwiseJudgePrompt(input: PairwiseJudgePromptInput): string {
  const parts = [INSTRUCTIONS_HEAD, fenced(input.prompt), '', 'An example correct output is this:', '', fenced(input.output), '', INSTRUCTIONS_FORMAT];
  parts.push('', '# Model A', '', fenced(input.first), '', '# Model B', '', fenced(input.second));
  return `${parts.join('\n')}\n`;
}

/** OpenAI structured outputs (strict: every property required). */
export function pairwiseResponseFormat(): { name: string; schema: Record<string, unknown> } {
  return {
    name: 'pairwise_verdict',
    schema: { type: 'object', required: ['winner', 'comments'], additionalProperties: false, properties: { winner: { type: 'string', enum: ['A', 'B', 'tie'] }, comments: { type: 'string' } } },
  };
}

export type PairwiseWinner = 'A' | 'B' | 'tie';

export type PairwiseParse = { winner: PairwiseWinner; comments?: string; lenient?: true } | { error: string };

/** A verdict word as the lenient reading takes it: "A", "Model A", "[[A]]", "tie", "draw", "equal"... */
function verdictOf(word: string): PairwiseWinner | undefined {
  const text = word.trim().replace(/^\[\[|\]\]$/g, '').replace(/^(?:model|response|answer|assistant)\s+/i, '').trim().toLowerCase();
  if (text === 'a') return 'A';
  if (text === 'b') return 'B';
  if (/^(?:tie|draw|equal|equally good|both|neither|c)$/.test(text)) return 'tie';
  return undefined;
}

function strictParse(reply: string): PairwiseParse {
  let value: unknown;
  try {
    value = JSON.parse(extractJsonText(reply));
  } catch {
    return { error: `reply is not JSON: ${quoteReply(reply.trim())}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: `reply is not a JSON object: ${quoteReply(reply.trim())}` };
  const { winner, comments } = value as { winner?: unknown; comments?: unknown };
  if (winner !== 'A' && winner !== 'B' && winner !== 'tie') return { error: `invalid reply: winner must be "A", "B" or "tie", got ${JSON.stringify(winner ?? null)}` };
  return typeof comments === 'string' ? { winner, comments } : { winner };
}

// "[[A]]" (MT-Bench's format), "Winner: B", "Model A is better", "It's a tie".
const BRACKETED = /\[\[\s*(A|B|C|tie)\s*\]\]/gi;
const LABELLED = /\b(?:winner|verdict|better(?: response| answer| model)?|answer|choice)\s*(?:is|:|=|-)\s*\**\s*"?((?:model\s+)?[AB]\b|tie\b|draw\b)/gi;
const CLAIMED = /\b(?:model|response|answer)\s+([AB])\b[^.\n]{0,20}?\b(?:is|was)\s+(?:clearly\s+|slightly\s+|much\s+)?better\b/gi;
const TIE = /\b(?:it'?s|it is|this is|a|verdict:?)\s+(?:a\s+)?(?:tie|draw)\b|\bequally good\b/gi;

function lenientText(text: string): PairwiseParse {
  const plain = text.replace(/[*_`]/g, ' ').trim();
  const only = verdictOf(plain.replace(/[.!]$/, ''));
  if (only) return { winner: only, lenient: true };
  const found = new Set<PairwiseWinner>();
  for (const pattern of [BRACKETED, LABELLED, CLAIMED]) for (const match of plain.matchAll(pattern)) {
    const verdict = verdictOf(match[1] as string);
    if (verdict) found.add(verdict);
  }
  if (found.size === 0 && TIE.test(plain)) found.add('tie');
  TIE.lastIndex = 0;
  if (found.size === 1) return { winner: [...found][0] as PairwiseWinner, lenient: true };
  if (found.size > 1) return { error: `several verdicts (${[...found].join(', ')}): ${quoteReply(text, 60)}` };
  return { error: `reply holds no verdict: ${quoteReply(text)}` };
}

/**
 * Parse a pairwise verdict. Strict (`{strict: true}`): JSON (the reply, its fence, or between its first `{` and last
 * `}`) whose `winner` is exactly "A", "B" or "tie". Lenient (the default) also takes the first JSON object anywhere
 * whose `winner` reads as one ("Model A", "a", "draw"), and plain-text verdicts: a bare "A", MT-Bench's "[[B]]",
 * "Winner: A", "Model B is better", "It's a tie"; several different verdicts are rejected. A reply only the lenient
 * reading accepts is marked `lenient`.
 */
export function parsePairwiseReply(reply: string, options: ReplyParseOptions = {}): PairwiseParse {
  if (reply.trim() === '') return { error: 'empty reply' };
  const strict = strictParse(reply);
  if ('winner' in strict || options.strict === true) return strict;
  for (const object of jsonObjectsIn(reply)) {
    const winner = typeof object.winner === 'string' ? verdictOf(object.winner) : undefined;
    if (winner) return { winner, ...(typeof object.comments === 'string' ? { comments: object.comments } : {}), lenient: true };
  }
  return lenientText(reply);
}

export interface PairwiseDesignOptions {
  seed: number | string;
  /** Unordered pairs shown per item (each in both orders); default (or >= all pairs): every pair. */
  pairsPerItem?: number;
}

/** Every unordered pair of `0..modelCount-1`, as [i, j] with i < j. */
export function allModelPairs(modelCount: number): Array<[number, number]> {
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < modelCount; i++) for (let j = i + 1; j < modelCount; j++) pairs.push([i, j]);
  return pairs;
}

/**
 * The ordered comparisons of item `index`: [first, second] model indices, every chosen pair in both orders (so each
 * model of a pair is shown first once). With `pairsPerItem` below the number of pairs, a seeded shuffle of all pairs
 * is walked cyclically, `pairsPerItem` per item, so over consecutive items every pair is shown equally often (to
 * within one) and each model in both positions equally often.
 */
export function pairwiseDesign(modelCount: number, index: number, options: PairwiseDesignOptions): Array<[number, number]> {
  const all = allModelPairs(modelCount);
  const k = options.pairsPerItem === undefined ? all.length : Math.min(all.length, Math.max(1, Math.floor(options.pairsPerItem)));
  const cycle = k === all.length ? all : shuffled(all, seededRandom(`${String(options.seed)}/pairs`));
  const chosen = k === all.length ? all : Array.from({ length: k }, (_, j) => cycle[(index * k + j) % all.length] as [number, number]);
  // Which model of a pair comes first in the first of its two calls alternates with the item, so the call order
  // carries no position pattern either.
  return chosen.flatMap(([i, j], n): Array<[number, number]> => ((index + n) % 2 === 0 ? [[i, j], [j, i]] : [[j, i], [i, j]]));
}

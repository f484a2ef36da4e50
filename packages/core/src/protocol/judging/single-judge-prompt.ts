// The single-answer judge's prompt (the book's, and the study's wording variant) and the parser for its
// "integer number only" reply.

export type SingleJudgeWording = 'book' | 'study';

export const SINGLE_JUDGE_WORDINGS: readonly SingleJudgeWording[] = ['book', 'study'];

export interface SingleJudgePromptInput {
  /** The full formatted Alpaca prompt the model answered. */
  prompt: string;
  /** The reference ("correct") output. */
  output: string;
  /** The model's answer. */
  response: string;
}

/** The book's prompt; the study's differs only in "on a scale of 0 to 100". */
export function formatSingleJudgePrompt(input: SingleJudgePromptInput, wording: SingleJudgeWording = 'book'): string {
  const scale = wording === 'study' ? 'on a scale of 0 to 100' : 'on a scale from 0 to 100';
  return (
    `Given the input \`${input.prompt}\` and correct output \`${input.output}\`, ` +
    `score the model response \`${input.response}\` ${scale}, where 100 is the best score. ` +
    'Respond with the integer number only.'
  );
}

/** `lenient`: set when only the lenient reading accepted the reply (see `parseScoreReply`). */
export type ScoreParse = { score: number; lenient?: true } | { error: string };

/** How judge replies are read. */
export interface ReplyParseOptions {
  /**
   * Only the exact reply forms: for the single judge the book's `int(reply)` (an integer and whitespace), for the
   * batched judge JSON with integer scores as the reply, a fence or between its first `{` and last `}`. Default
   * false: the lenient reading, which also takes the forms real models write (see each parser).
   */
  strict?: boolean;
}

const INTEGER_REPLY = /^[+]?\d+$/;

/** The book's `int(reply)`: an integer 0-100 with surrounding whitespace, nothing else. */
function parseStrictScore(text: string): ScoreParse {
  if (!INTEGER_REPLY.test(text)) {
    if (/^[+-]?\d+$/.test(text)) return { error: `score ${text} is out of range 0-100` };
    return { error: `reply is not an integer: ${quoteReply(text)}` };
  }
  const score = Number(text);
  if (score > 100) return { error: `score ${score} is out of range 0-100` };
  return { score };
}

/** A number in a reply, with its sign and the scale written after it (`/ 100`, `out of 10`). */
interface ScoreMention {
  value: number;
  negative: boolean;
  /** The denominator of "8/10" or "85 out of 100". */
  scale?: number;
}

// A number not glued to a word or decimal point before it ("GPT-4" gives 4, "v2" nothing), an optional scale after.
const MENTION = String.raw`(?<![\w.])(-)?(\d+(?:\.\d+)?)(?:\s*(?:\/|out of)\s*(\d+(?:\.\d+)?))?`;
const MENTIONS = new RegExp(MENTION, 'gi');
// The reply starts with the score: "85", "Score: 85", "# Rating = 85/100", then nothing, a line break, punctuation
// or "points"/"%" ("85\n\nThe answer...", "85 - good", "85. Good", "85%"); not "85-90", "85 - 90" or "85,5".
const LEADING = new RegExp(String.raw`^(?:#+\s*)?(?:(?:final|overall)\s+)?(?:(?:score|rating|grade)\s*(?::|=|-|is)?\s*)?${MENTION}(?=\s*(?:$|\n|[.,;:!)\]](?!\d)|%|points?\b|[\u2013\u2014](?!\s*\d))|\s+-(?!\s*\d))`, 'i');
// A score named as one: "I would give it a score of 85", "Rating: 85/100", "I rate this 85".
const LABELLED = new RegExp(String.raw`\b(?:score[sd]?|rating|grade|rate[sd]?)\b[^\d\n{}]{0,30}?${MENTION}`, 'gi');
// A score restated after a leading one: "a score of 70", "Rating: 70" (not "the score reflects 2 of 3 points").
const RESTATED = new RegExp(String.raw`\b(?:score|rating|grade)\s*(?::|=|of|is|would be|should be)?\s*${MENTION}`, 'gi');

function mentionOf(match: RegExpExecArray): ScoreMention {
  return {
    negative: match[1] === '-',
    value: Number(match[2]),
    ...(match[3] !== undefined ? { scale: Number(match[3]) } : {}),
  };
}

/** What a mention stands for, to tell several different numbers from one repeated: "85", "85/100" and "85.0" are one. */
function mentionKey(mention: ScoreMention): string {
  const value = `${mention.negative ? '-' : ''}${mention.value}`;
  return mention.scale === undefined || mention.scale === 100 ? value : `${value}/${mention.scale}`;
}

/**
 * A mention as a score, or why it is not one. A score out of another scale ("8/10") is rejected, not rescaled:
 * the judge was asked for 0-100, and a reply on another scale says it did not follow the prompt.
 */
function scoreOf(mention: ScoreMention, text: string): ScoreParse {
  if (mention.scale !== undefined && mention.scale !== 100) {
    return { error: `score ${shownNumber(mentionKey(mention))} is not on the 0-100 scale: ${quoteReply(text, 60)}` };
  }
  if (!Number.isInteger(mention.value)) return { error: `score ${shownNumber(String(mention.value))} is not a whole number: ${quoteReply(text, 60)}` };
  if (mention.negative || mention.value > 100) return { error: `score ${shownNumber(`${mention.negative ? '-' : ''}${mention.value}`)} is out of range 0-100` };
  return { score: mention.value, lenient: true };
}

function distinct(mentions: readonly ScoreMention[]): ScoreMention[] {
  const seen = new Map<string, ScoreMention>();
  for (const mention of mentions) if (!seen.has(mentionKey(mention))) seen.set(mentionKey(mention), mention);
  return [...seen.values()];
}

/** A number as failure messages show it: at most 12 characters, so a message stays one short line. */
function shownNumber(text: string): string {
  return text.length > 12 ? `${text.slice(0, 11)}\u2026` : text;
}

function listOf(mentions: readonly ScoreMention[]): string {
  const shown = mentions.slice(0, 3).map((mention) => shownNumber(mentionKey(mention)));
  return `${shown.join(', ')}${mentions.length > shown.length ? ', ...' : ''}`;
}

/**
 * The lenient reading of a single judge's reply. In order: the reply starts with the score ("85", "85.0",
 * "**85**", "Score: 85", "85/100", "85\n\nexplanation"), unless a different score is restated later ("a score of
 * 70"); else the numbers named as a score ("I would give it a score of 85"), if they agree; else the reply's only
 * number (written once or more). Several different numbers with none named as the score, a score on another scale
 * ("8/10"), a fraction, or a value outside 0-100 are rejected.
 */
function parseLenientScore(text: string): ScoreParse {
  // Markdown emphasis and code marks ("**85**", "`85`") are not part of a number.
  const plain = text.replace(/[*_`]/g, ' ').trim();
  const leading = LEADING.exec(plain);
  // A score named later that disagrees with the leading one ("Score: 80. On reflection, a score of 70") is ambiguous.
  const labelled = distinct(leading ? [mentionOf(leading), ...[...plain.matchAll(RESTATED)].map(mentionOf)] : [...plain.matchAll(LABELLED)].map(mentionOf));
  if (labelled.length > 1) return { error: `several different scores (${listOf(labelled)}): ${quoteReply(text, 60)}` };
  if (leading || labelled.length === 1) return scoreOf(labelled[0] as ScoreMention, text);
  const numbers = distinct([...plain.matchAll(MENTIONS)].map(mentionOf));
  if (numbers.length === 0) return { error: `reply holds no score: ${quoteReply(text)}` };
  if (numbers.length > 1) return { error: `several different numbers (${listOf(numbers)}) and none named as the score: ${quoteReply(text, 60)}` };
  return scoreOf(numbers[0] as ScoreMention, text);
}

/**
 * Parse a reply that should be an integer 0-100. Strict (`{strict: true}`) mirrors the book's `int(reply)`:
 * surrounding whitespace is allowed, anything else ("Score: 85", "85.0", "85/100") is rejected, so an item counts
 * as failed exactly when the book's judge would have dropped it. Lenient (the default) also reads the forms real
 * models write (see `parseLenientScore`); a reply only it accepts is marked `lenient`.
 */
export function parseScoreReply(reply: string, options: ReplyParseOptions = {}): ScoreParse {
  const text = reply.trim();
  if (text === '') return { error: 'empty reply' };
  const strict = parseStrictScore(text);
  if ('score' in strict || options.strict === true) return strict;
  return parseLenientScore(text);
}

/** A reply shortened for failure messages. */
export function quoteReply(text: string, limit = 80): string {
  return JSON.stringify(text.length > limit ? `${text.slice(0, limit - 3)}...` : text);
}

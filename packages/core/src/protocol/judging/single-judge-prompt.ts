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

export type ScoreParse = { score: number } | { error: string };

const INTEGER_REPLY = /^[+]?\d+$/;

/**
 * Parse a reply that should be an integer 0-100 and nothing else. Mirrors the book's `int(reply)`: surrounding
 * whitespace is allowed, anything else ("Score: 85", "85.0", "85/100") is rejected, so an item counts as failed
 * exactly when the book's judge would have dropped it.
 */
export function parseScoreReply(reply: string): ScoreParse {
  const text = reply.trim();
  if (text === '') return { error: 'empty reply' };
  if (!INTEGER_REPLY.test(text)) {
    if (/^[+-]?\d+$/.test(text)) return { error: `score ${text} is out of range 0-100` };
    return { error: `reply is not an integer: ${quoteReply(text)}` };
  }
  const score = Number(text);
  if (score > 100) return { error: `score ${score} is out of range 0-100` };
  return { score };
}

/** A reply shortened for failure messages. */
export function quoteReply(text: string, limit = 80): string {
  return JSON.stringify(text.length > limit ? `${text.slice(0, limit - 3)}...` : text);
}

// The rubric judge's prompt and the parser for its reply: pure functions, so both are tested on tables. Quoted
// texts sit in fences they cannot close, so an answer cannot forge a criterion or the closing instruction.
import { fenced, parseScoreReply, type ScoreParse } from '@judgekit/core';

export interface RubricPromptInput {
  /** The full formatted Alpaca prompt the model answered. */
  prompt: string;
  /** The reference answer; left out when the judge should not see it. */
  reference?: string;
  /** The model's answer. */
  response: string;
  criteria: readonly string[];
  /** The judge scores 0..scale. */
  scale: number;
}

export function formatRubricPrompt(input: RubricPromptInput): string {
  const parts = ['Grade a model\'s answer against a rubric.', '', 'The task the model was given:', fenced(input.prompt)];
  if (input.reference !== undefined) parts.push('', 'A correct answer:', fenced(input.reference));
  parts.push('', "The model's answer:", fenced(input.response), '', 'The rubric:');
  input.criteria.forEach((criterion, index) => parts.push(`${index + 1}. ${criterion}`));
  parts.push(
    '',
    `Score the model's answer from 0 to ${input.scale}, where ${input.scale} means it meets every criterion fully and 0 means it meets none. ` +
      'Respond with the integer number only.',
  );
  return parts.join('\n');
}

/** The reply as a score on 0-100: an integer 0..scale and nothing else (the single judge's rule), rescaled. */
export function parseRubricReply(reply: string, scale: number): ScoreParse {
  // Strict: the lenient reading knows only the 0-100 scale (it refuses "7/10"), and this rubric has its own.
  const parsed = parseScoreReply(reply, { strict: true });
  if ('error' in parsed) return parsed;
  if (parsed.score > scale) return { error: `score ${parsed.score} is out of range 0-${scale}` };
  return { score: Math.round((parsed.score * 100) / scale) };
}

import { describe, expect, it } from 'vitest';
import { formatSingleJudgePrompt, parseScoreReply } from './single-judge-prompt.js';

describe('formatSingleJudgePrompt', () => {
  const input = { prompt: 'PROMPT', output: 'OUT', response: 'RESP' };
  it('writes the book prompt word for word', () => {
    expect(formatSingleJudgePrompt(input)).toBe(
      'Given the input `PROMPT` and correct output `OUT`, score the model response `RESP` on a scale from 0 to 100, where 100 is the best score. Respond with the integer number only.',
    );
  });
  it('writes the study wording variant', () => {
    expect(formatSingleJudgePrompt(input, 'study')).toContain('`RESP` on a scale of 0 to 100, where 100');
  });
});

describe('parseScoreReply', () => {
  it.each([
    ['85', 85],
    [' 85\n', 85],
    ['0', 0],
    ['100', 100],
    ['+7', 7],
    ['007', 7],
  ])('accepts %j as %d in both modes, not marked lenient', (reply, score) => {
    expect(parseScoreReply(reply)).toEqual({ score });
    expect(parseScoreReply(reply, { strict: true })).toEqual({ score });
  });

  it.each([
    ['Score: 85', /not an integer/],
    ['85.0', /not an integer/],
    ['85.5', /not an integer/],
    ['85/100', /not an integer/],
    ['eighty', /not an integer/],
    ['101', /out of range/],
    ['-1', /out of range/],
    ['', /empty/],
    ['  \n', /empty/],
  ])('in strict mode (the book\'s int(reply)) rejects %j', (reply, reason) => {
    const parsed = parseScoreReply(reply, { strict: true });
    expect('error' in parsed && parsed.error).toMatch(reason);
  });

  it.each([
    ['Score: 85', 85],
    ['85.0', 85],
    ['85/100', 85],
  ])('by default reads %j as %d and marks it lenient', (reply, score) => {
    expect(parseScoreReply(reply)).toEqual({ score, lenient: true });
  });

  it.each([
    ['85.5', /not a whole number/],
    ['eighty', /holds no score/],
    ['101', /out of range/],
    ['-1', /out of range/],
    ['', /empty/],
  ])('by default still rejects %j', (reply, reason) => {
    const parsed = parseScoreReply(reply);
    expect('error' in parsed && parsed.error).toMatch(reason);
  });
});

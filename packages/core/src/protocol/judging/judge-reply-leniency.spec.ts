// Real-looking judge replies, each with what the default (lenient) and the strict reading make of it: a score, or
// a rejection and its reason. The strict column is the book's `int(reply)` (single) and judgekit's earlier JSON
// reading (batched); the lenient column is what real models' replies need so they are not counted as 0.
import { describe, expect, it } from 'vitest';
import { parseBatchedReply } from './batched-judge-prompt.js';
import { parseScoreReply } from './single-judge-prompt.js';

type Expected = number | RegExp;

function check(parsed: { score: number; lenient?: true } | { error: string }, expected: Expected, lenient: boolean): void {
  if (typeof expected === 'number') {
    expect(parsed).toEqual(lenient ? { score: expected, lenient: true } : { score: expected });
  } else {
    expect(parsed).toHaveProperty('error');
    expect((parsed as { error: string }).error).toMatch(expected);
  }
}

// [reply, default reading, strict reading]
const SINGLE: Array<[string, Expected, Expected]> = [
  ['85', 85, 85],
  ['  85\n', 85, 85],
  ['85.0', 85, /not an integer/],
  ['Score: 85', 85, /not an integer/],
  ['score:85', 85, /not an integer/],
  ['85/100', 85, /not an integer/],
  ['85 / 100', 85, /not an integer/],
  ['85 out of 100.', 85, /not an integer/],
  ['**85**', 85, /not an integer/],
  ['`85`', 85, /not an integer/],
  ['**Score:** 85/100\n\nThe response names the right animals but adds 3 extra.', 85, /not an integer/],
  ['85\n\nThe response is correct: the hypotenuse of a 6 cm and 8 cm triangle is 10 cm.', 85, /not an integer/],
  ['85. The answer matches the reference closely.', 85, /not an integer/],
  ['85 - close to the reference, minor wording differences.', 85, /not an integer/],
  ['100%', 100, /not an integer/],
  ['Rating: 40 points', 40, /not an integer/],
  ['The model says 3 cm where the correct answer is 10 cm, so it is wrong. Score: 10', 10, /not an integer/],
  ['I would give this response a score of 20 because it names 2 of the 3 animals.', 20, /not an integer/],
  ['Here is my score:\n\n70', 70, /not an integer/],
  ['I rate this 60.', 60, /not an integer/],
  ['0\n\nThe response does not answer the question.', 0, /not an integer/],
  ['Score: 60\n\nThe score reflects 2 of the 3 steps being right.', 60, /not an integer/],
  // Rejected in both modes.
  ['8/10', /8\/10 is not on the 0-100 scale/, /not an integer/],
  ['Score: 4/5', /4\/5 is not on the 0-100 scale/, /not an integer/],
  ['85.5', /85.5 is not a whole number/, /not an integer/],
  ['150', /150 is out of range 0-100/, /out of range/],
  ['-5', /-5 is out of range 0-100/, /out of range/],
  ['85-90', /several different numbers \(85, 90\)/, /not an integer/],
  ['I would give it 20 because 3 cm is wrong.', /several different numbers \(20, 3\)/, /not an integer/],
  ['Score: 80. On reflection, a score of 70 is fairer.', /several different scores \(80, 70\)/, /not an integer/],
  ['Eighty-five.', /holds no score/, /not an integer/],
  ['I cannot score this response.', /holds no score/, /not an integer/],
  ['   ', /empty reply/, /empty reply/],
];

describe('single judge replies, default (lenient) and strict reading', () => {
  it.each(SINGLE)('%j: lenient %s, strict %s', (reply, lenient, strict) => {
    check(parseScoreReply(reply), lenient, typeof lenient === 'number' && typeof strict !== 'number');
    check(parseScoreReply(reply, { strict: true }), strict, false);
  });
});

const JSON_REPLY = '{"Model 1": {"score": 85, "comments": "Right answer {10 cm}"}, "Model 2": {"score": 40}}';
const SLOTS = [{ score: 85, comments: 'Right answer {10 cm}' }, { score: 40 }];

// [reply, default reading (true = SLOTS), strict reading]
const BATCHED: Array<[string, true | RegExp, true | RegExp]> = [
  [JSON_REPLY, true, true],
  [`\`\`\`json\n${JSON_REPLY}\n\`\`\``, true, true],
  [`Here are my scores:\n${JSON_REPLY}`, true, true],
  [`${JSON_REPLY}\n\nModel 1 gives the correct hypotenuse; Model 2 does not.`, true, /not JSON/],
  [`${JSON_REPLY}\nNote: I weighed accuracy {most} and style {least}.`, true, /not JSON/],
  [`Sure! Using the format {"Model j": ...}:\n\`\`\`json\n${JSON_REPLY}\n\`\`\`\nLet me know if you need more.`, true, /not JSON/],
  [`\`\`\`json\n${JSON_REPLY}\n\`\`\`\n\nExplanation: Model 2 misses the unit.`, true, true],
  [`\`\`\`json\n${JSON_REPLY}\n\`\`\`\n\nExplanation: Model 2 writes {12 cm}.`, true, /not JSON/],
  ['{"Model 1": {"score": "85", "comments": "Right answer {10 cm}"}, "Model 2": {"score": "40.0"}}', true, /must be integer/],
  [`{"Model 1": {"score": 85,\n "comments": "Right answer {10 cm}"},\n "Model 2": {"score": 40}}\n`, true, true],
  // Rejected in both modes.
  ['{"Model 1": {"score": "high"}, "Model 2": {"score": 40}}', /Model 1\/score must be integer/, /must be integer/],
  ['{"Model 1": {"score": 85.5}, "Model 2": {"score": 40}}', /must be integer/, /must be integer/],
  ['{"Model 1": {"score": 85}}\nModel 2 gave no answer.', /has no "Model 2"/, /not JSON/],
  ['Model 1: 85, Model 2: 40', /not JSON and holds no JSON object/, /not JSON/],
  ['{"Model 1": {"score": 85}, "Model 2": {"score": 40}', /invalid reply/, /not JSON/],
];

describe('batched judge replies, default (lenient) and strict reading', () => {
  it.each(BATCHED)('%j: lenient %s, strict %s', (reply, lenient, strict) => {
    const parsed = parseBatchedReply(reply, 2);
    if (lenient === true) expect(parsed).toEqual(strict === true ? { slots: SLOTS } : { slots: SLOTS, lenient: true });
    else expect((parsed as { error?: string }).error).toMatch(lenient);
    const strictParsed = parseBatchedReply(reply, 2, { strict: true });
    if (strict === true) expect(strictParsed).toEqual({ slots: SLOTS });
    else expect((strictParsed as { error?: string }).error).toMatch(strict);
  });
});

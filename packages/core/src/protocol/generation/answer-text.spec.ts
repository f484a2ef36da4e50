import { describe, expect, it } from 'vitest';
import { extractAnswerText, pythonStrip } from './answer-text.js';

const PROMPT = 'Below is an instruction.\n\n### Instruction:\nSay hi';

describe('extractAnswerText', () => {
  it.each([
    ['plain completion', `${PROMPT}\n\n### Response:\nHi there.`, PROMPT, undefined, 'Hi there.'],
    ['header repeated in the answer', `${PROMPT}\n\n### Response:\nHi ### Response: again`, PROMPT, undefined, 'Hi  again'],
    ['only whitespace', `${PROMPT}\n\n  \n`, PROMPT, undefined, ''],
    ['empty completion', PROMPT, PROMPT, undefined, ''],
    ['no header produced', `${PROMPT} and more`, PROMPT, undefined, 'and more'],
    ['header without colon is not removed', `${PROMPT}\n### Response\nx`, PROMPT, undefined, '### Response\nx'],
    ['custom header', `${PROMPT}\n\nAnswer: yes`, PROMPT, 'Answer:', 'yes'],
    ['empty header removes nothing', `${PROMPT}\n\n### Response:\nyes`, PROMPT, '', '### Response:\nyes'],
    ['unicode stays whole', `${PROMPT}\n### Response:\n日本 🎉`, PROMPT, undefined, '日本 🎉'],
    ['removes by character count, not by matching', `${'X'.repeat(PROMPT.length)} tail`, PROMPT, undefined, 'tail'],
  ])('%s', (_name, full, prompt, header, expected) => {
    expect(extractAnswerText(full, prompt, header)).toBe(expected);
  });
});

describe('pythonStrip', () => {
  it.each([
    ['  a b \n', 'a b'],
    ['\x1c\x1fx\x85', 'x'],
    ['\ufeffx\ufeff', '\ufeffx\ufeff'],
    ['\u3000\u00a0x\u2028', 'x'],
    ['', ''],
    [' \t\n ', ''],
  ])('strips %j as Python does', (text, expected) => {
    expect(pythonStrip(text)).toBe(expected);
  });
});

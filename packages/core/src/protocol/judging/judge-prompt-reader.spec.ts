import { describe, expect, it } from 'vitest';
import { formatBatchedJudgePrompt } from './batched-judge-prompt.js';
import { batchedReplyFor, readJudgePrompt } from './judge-prompt-reader.js';
import { formatSingleJudgePrompt } from './single-judge-prompt.js';

describe('readJudgePrompt', () => {
  it('reads back the answers of both prompts in slot order, in either single wording', () => {
    const batched = formatBatchedJudgePrompt({ prompt: 'p', output: 'o', responses: ['first ``` one', '# Model 3', 'third'] });
    expect(readJudgePrompt(batched)).toEqual({ kind: 'batched', answers: ['first ``` one', '# Model 3', 'third'] });
    for (const wording of ['book', 'study'] as const) {
      expect(readJudgePrompt(formatSingleJudgePrompt({ prompt: 'p', output: 'o', response: 'an `answer`' }, wording))).toEqual({ kind: 'single', answers: ['an `answer`'] });
    }
    expect(readJudgePrompt('Tag this item.')).toEqual({ kind: 'unknown', answers: [] });
  });

  it('answers a batched prompt with a reply its parser accepts', () => {
    const prompt = formatBatchedJudgePrompt({ prompt: 'p', output: 'o', responses: ['a', 'bb'] });
    expect(JSON.parse(batchedReplyFor(prompt, (answer) => answer.length * 10))).toEqual({ 'Model 1': { score: 10, comments: 'slot 1' }, 'Model 2': { score: 20, comments: 'slot 2' } });
  });
});

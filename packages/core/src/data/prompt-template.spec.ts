import { describe, expect, it } from 'vitest';
import { JudgekitError } from '../errors.js';
import {
  formatAlpacaPrompt,
  formatTrainingText,
  getPromptTemplate,
  promptTemplateNames,
  PROMPT_TEMPLATES,
  responseHeader,
} from './prompt-template.js';

const PREAMBLE = 'Below is an instruction that describes a task. Write a response that appropriately completes the request.';

describe('formatAlpacaPrompt', () => {
  it.each([
    ['book', 'with input', { instruction: 'Sort these.', input: '3, 1, 2' }, `${PREAMBLE}\n\n### Instruction:\nSort these.\n\n### Input:\n3, 1, 2`],
    ['book', 'without input', { instruction: 'Name a colour.', input: '' }, `${PREAMBLE}\n\n### Instruction:\nName a colour.`],
    ['study', 'with input', { instruction: 'Sort these.', input: '3, 1, 2' }, `${PREAMBLE}\n\n### Instruction:\nSort these.\n\n### Input\n3, 1, 2`],
    ['study', 'without input', { instruction: 'Name a colour.', input: '' }, `${PREAMBLE}\n\n### Instruction:\nName a colour.`],
  ])('%s template, %s', (template, _case, record, expected) => {
    expect(formatAlpacaPrompt(record, template)).toBe(expected);
  });

  it('defaults to the book template', () => {
    expect(formatAlpacaPrompt({ instruction: 'x', input: 'y' })).toContain('### Input:\ny');
  });

  it('never substitutes placeholders that appear inside the record text', () => {
    const text = formatAlpacaPrompt({ instruction: 'Say {input} and {output}', input: '{instruction}' });
    expect(text).toBe(`${PREAMBLE}\n\n### Instruction:\nSay {input} and {output}\n\n### Input:\n{instruction}`);
  });

  it('keeps `$&` style sequences in the record literally', () => {
    expect(formatAlpacaPrompt({ instruction: 'cost $& $1', input: '' })).toBe(`${PREAMBLE}\n\n### Instruction:\ncost $& $1`);
  });

  it('treats whitespace-only input as present (only "" is left out, as in the book)', () => {
    expect(formatAlpacaPrompt({ instruction: 'a', input: ' ' })).toBe(`${PREAMBLE}\n\n### Instruction:\na\n\n### Input:\n `);
  });
});

describe('formatTrainingText', () => {
  it.each([
    ['book', { instruction: 'Add.', input: '2 and 3', output: '5' }, `${PREAMBLE}\n\n### Instruction:\nAdd.\n\n### Input:\n2 and 3\n\n### Response:\n5`],
    ['book', { instruction: 'Add 2 and 3.', input: '', output: '5' }, `${PREAMBLE}\n\n### Instruction:\nAdd 2 and 3.\n\n### Response:\n5`],
    ['study', { instruction: 'Add.', input: '2 and 3', output: '5' }, `${PREAMBLE}\n\n### Instruction:\nAdd.\n\n### Input\n2 and 3\n\n### Response:\n5`],
    ['study', { instruction: 'Add 2 and 3.', input: '', output: '5' }, `${PREAMBLE}\n\n### Instruction:\nAdd 2 and 3.\n\n### Response:\n5`],
  ])('%s template', (template, record, expected) => {
    expect(formatTrainingText(record, template)).toBe(expected);
  });
});

describe('getPromptTemplate', () => {
  it('lists the built-in names', () => {
    expect(promptTemplateNames()).toEqual(['book', 'study']);
  });

  it('rejects an unknown name and lists the known ones', () => {
    expect(() => getPromptTemplate('alpaca-x')).toThrowError(/Unknown prompt template "alpaca-x".*book, study/);
    try {
      getPromptTemplate('nope');
    } catch (error) {
      expect(JudgekitError.is(error, 'config')).toBe(true);
    }
  });

  it('builds a custom template and derives its response header', () => {
    const custom = { name: 'chatml-ish', prompt: '<user>{instruction}', input: '\n<ctx>{input}', response: '\n<assistant> {output}' };
    const template = getPromptTemplate(custom);
    expect(template.formatPrompt({ instruction: 'Hi', input: '' })).toBe('<user>Hi');
    expect(template.formatPrompt({ instruction: 'Hi', input: 'there' })).toBe('<user>Hi\n<ctx>there');
    expect(template.formatTraining({ instruction: 'Hi', input: '', output: 'Hello' })).toBe('<user>Hi\n<assistant> Hello');
    expect(responseHeader(custom)).toBe('<assistant>');
    expect(getPromptTemplate(custom)).toBe(template);
    expect(getPromptTemplate(template)).toBe(template);
  });

  it.each([
    ['prompt', { name: 'x', prompt: 'no placeholder', input: '{input}', response: '{output}' }, /`prompt` text must be a string containing \{instruction\}/],
    ['input', { name: 'x', prompt: '{instruction}', input: '', response: '{output}' }, /`input` text .*\{input\}/],
    ['response', { name: 'x', prompt: '{instruction}', input: '{input}', response: 'R:' }, /`response` text .*\{output\}/],
    ['name', { name: '', prompt: '{instruction}', input: '{input}', response: '{output}' }, /`name` must be a non-empty string/],
    ['prompt type', { prompt: 3, input: '{input}' } as never, /`prompt` text must be a string/],
  ])('rejects a custom template with a bad %s', (_field, text, message) => {
    expect(() => getPromptTemplate(text)).toThrowError(message);
  });

  it('fills in a missing name and response as a config file may leave them out', () => {
    const template = getPromptTemplate({ prompt: 'Q: {instruction}', input: ' ({input})' });
    expect(template.name).toBe('custom');
    expect(template.formatTraining({ instruction: 'a', input: 'b', output: 'c' })).toBe('Q: a (b)\n\n### Response:\nc');
    expect(template.responseHeader).toBe('### Response:');
  });

  it('gives the response header of both built-ins', () => {
    expect(responseHeader('book')).toBe('### Response:');
    expect(responseHeader('study')).toBe('### Response:');
    expect(PROMPT_TEMPLATES.study.input).toBe('\n\n### Input\n{input}');
  });
});

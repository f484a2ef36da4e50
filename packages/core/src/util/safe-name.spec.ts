import { describe, expect, it } from 'vitest';
import { assertPathSafeName, pathSafeNameProblem } from './safe-name.js';

describe('path-safe names', () => {
  it.each(['GPT-2 small (124M)', 'gpt2-medium_ift.v2', 'batched', 'judge [study wording]', 'Модель 1', '.hidden', 'OpenAI weights: medium'])('accepts %j', (name) => {
    expect(pathSafeNameProblem(name)).toBeUndefined();
  });

  it.each([
    ['', 'is empty'],
    ['   ', 'is empty'],
    ['.', 'is "."'],
    ['..', 'is ".."'],
    ['../escape', 'contains a path separator'],
    ['a/b', 'contains a path separator'],
    ['a\\b', 'contains a path separator'],
    ['/etc/passwd', 'contains a path separator'],
    ['tab\there', 'control character'],
    ['x'.repeat(201), 'longer than 200'],
  ])('refuses %j (%s)', (name, problem) => {
    expect(pathSafeNameProblem(name)).toContain(problem);
  });

  it('names where the name was given', () => {
    expect(() => assertPathSafeName('../x', 'study.json: judges[0].name')).toThrow(/^study\.json: judges\[0\]\.name: the name "\.\.\/x" contains a path separator/);
  });
});

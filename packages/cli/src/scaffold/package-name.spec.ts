import { describe, expect, it } from 'vitest';
import { packageNameProblem, suggestedContributionId } from './package-name.js';

describe('packageNameProblem', () => {
  it.each([
    { name: 'judgekit-plugin-fancy', problem: undefined },
    { name: '@acme/judgekit-plugin-fancy', problem: undefined },
    { name: 'judgekit.plugin_x', problem: undefined },
    { name: '', problem: 'is empty' },
    { name: 'x'.repeat(215), problem: 'is longer than 214 characters' },
    { name: ' fancy', problem: 'has spaces around it' },
    { name: 'Fancy', problem: 'has capital letters (new packages must be lower case)' },
    { name: '.fancy', problem: 'starts with "."' },
    { name: '_fancy', problem: 'starts with "_"' },
    { name: 'fancy!', problem: "contains one of ~'!()*" },
    { name: 'node_modules', problem: 'is reserved' },
    { name: 'http', problem: 'is the name of a Node.js core module' },
    { name: '@acme', problem: 'must be @scope/name with one slash' },
    { name: '@acme/a/b', problem: 'must be @scope/name with one slash' },
    { name: '@acme/.x', problem: 'has a part starting with "."' },
    { name: 'fancy judge', problem: 'has characters that are not URL-safe (use a-z, 0-9, "-", "." and "_")' },
    { name: 'fancy/judge', problem: 'has characters that are not URL-safe (use a-z, 0-9, "-", "." and "_")' },
  ])('"$name": $problem', ({ name, problem }) => {
    expect(packageNameProblem(name)).toBe(problem);
  });
});

describe('suggestedContributionId', () => {
  it.each([
    { name: 'judgekit-plugin-fancy', kind: 'judge', id: 'fancy' },
    { name: 'judgekit-plugin-fancy-judge', kind: 'judge', id: 'fancy' },
    { name: '@acme/judgekit-plugin-qa-dataset', kind: 'dataset', id: 'qa' },
    { name: 'judgekit-llama.cpp', kind: 'backend', id: 'llama-cpp' },
    { name: 'word_recall', kind: 'judge', id: 'word-recall' },
    { name: 'judgekit-plugin-judge', kind: 'judge', id: 'judge' },
    { name: '2fast', kind: 'judge', id: 'fast' },
    { name: '123', kind: 'judge', id: undefined },
  ])('$name ($kind) -> $id', ({ name, kind, id }) => {
    expect(suggestedContributionId(name, kind)).toBe(id);
  });
});

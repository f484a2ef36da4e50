import { describe, expect, it } from 'vitest';
import { allModelPairs, formatPairwiseJudgePrompt, pairwiseDesign, parsePairwiseReply } from './pairwise-judge-prompt.js';
import { readJudgePrompt } from './judge-prompt-reader.js';

describe('formatPairwiseJudgePrompt', () => {
  const prompt = formatPairwiseJudgePrompt({ prompt: 'Below is an instruction.\n\n### Instruction:\nAdd 2 and 2.', output: '4', first: 'Four.', second: 'It is ```4```.' });

  it('uses the study\'s comparative wording for two models shown as "Model A" and "Model B"', () => {
    expect(prompt).toContain('You are judging the comparative capabilities of two different LLM\nmodels.  They have been trained to follow instructions.');
    expect(prompt).toContain('An example correct output is this:');
    expect(prompt).toContain('{"winner": "A", "comments": "optional comments"}');
    expect(prompt.indexOf('# Model A')).toBeLessThan(prompt.indexOf('# Model B'));
  });

  it('reads back as a pairwise prompt showing the two answers in order, a fence inside an answer included', () => {
    expect(readJudgePrompt(prompt)).toEqual({ kind: 'pairwise', answers: ['Four.', 'It is ```4```.'] });
  });
});

describe('parsePairwiseReply', () => {
  it.each([
    ['{"winner": "A", "comments": "clearer"}', { winner: 'A', comments: 'clearer' }],
    ['```json\n{"winner": "tie"}\n```', { winner: 'tie' }],
    ['{"winner": "B"}', { winner: 'B' }],
  ])('reads the strict JSON reply %j', (reply, expected) => {
    expect(parsePairwiseReply(reply, { strict: true })).toEqual(expected);
    expect(parsePairwiseReply(reply)).toEqual(expected);
  });

  it.each([
    ['B', 'B'],
    ['[[A]]', 'A'],
    ['Model B is clearly better because it answers the question.', 'B'],
    ['Winner: A', 'A'],
    ["It's a tie.", 'tie'],
    ['My verdict follows. {"winner": "Model A", "comments": "ok"} Hope that helps {x}', 'A'],
    ['{"winner": "draw"}', 'tie'],
  ])('reads %j leniently as %s and marks it lenient', (reply, winner) => {
    expect(parsePairwiseReply(reply)).toMatchObject({ winner, lenient: true });
  });

  it('rejects the lenient-only forms when strict replies are asked for, naming what was wrong', () => {
    expect(parsePairwiseReply('[[A]]', { strict: true })).toEqual({ error: expect.stringContaining('reply is not JSON') });
    expect(parsePairwiseReply('{"winner": "Model A"}', { strict: true })).toEqual({ error: 'invalid reply: winner must be "A", "B" or "tie", got "Model A"' });
  });

  it('rejects an empty reply, a reply with no verdict and one with two different verdicts', () => {
    expect(parsePairwiseReply('  ')).toEqual({ error: 'empty reply' });
    expect(parsePairwiseReply('Both answers have merits.')).toEqual({ error: expect.stringContaining('reply holds no verdict') });
    expect(parsePairwiseReply('[[A]] ... on reflection [[B]]')).toEqual({ error: expect.stringContaining('several verdicts (A, B)') });
  });
});

describe('pairwiseDesign', () => {
  it('shows every pair of 3 models in both orders on every item by default: M x (M - 1) calls', () => {
    const design = pairwiseDesign(3, 5, { seed: 1 });
    expect(design).toHaveLength(6);
    const ordered = new Set(design.map(([a, b]) => `${a}-${b}`));
    expect(ordered).toEqual(new Set(['0-1', '1-0', '0-2', '2-0', '1-2', '2-1']));
  });

  it('with pairsPerItem walks a seeded cycle of pairs so that, over consecutive items, every pair and every model in each position comes up equally often', () => {
    const m = 5;
    const pairCount = allModelPairs(m).length;
    const perPair = new Map<string, number>();
    const first = new Array<number>(m).fill(0);
    const second = new Array<number>(m).fill(0);
    for (let item = 0; item < pairCount; item++) {
      const design = pairwiseDesign(m, item, { seed: 7, pairsPerItem: 2 });
      expect(design).toHaveLength(4);
      for (const [a, b] of design) {
        const key = `${Math.min(a, b)}-${Math.max(a, b)}`;
        perPair.set(key, (perPair.get(key) ?? 0) + 1);
        first[a]! += 1;
        second[b]! += 1;
      }
    }
    expect(perPair.size).toBe(pairCount);
    expect(new Set(perPair.values())).toEqual(new Set([4]));
    expect(first).toEqual(second);
    expect(new Set(first)).toEqual(new Set([first[0]]));
  });

  it('is the same for the same seed and item, and differs between seeds', () => {
    expect(pairwiseDesign(6, 3, { seed: 1, pairsPerItem: 3 })).toEqual(pairwiseDesign(6, 3, { seed: 1, pairsPerItem: 3 }));
    const seeds = new Set([1, 2, 3, 4].map((seed) => JSON.stringify(pairwiseDesign(6, 0, { seed, pairsPerItem: 3 }))));
    expect(seeds.size).toBeGreaterThan(1);
  });
});

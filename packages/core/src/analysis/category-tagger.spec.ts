import { describe, expect, it } from 'vitest';
import type { JudgmentRecord } from '../run/run-directory.js';
import { categoryBreakdown, ruleBasedCategory, ruleBasedCategoryTagger } from './category-tagger.js';
import { collectJudgeScores } from './judge-scores.js';

describe('ruleBasedCategory', () => {
  it.each([
    ['What is the capital of France?', '', 'factual recall'],
    ['Who wrote "Pride and Prejudice"?', '', 'factual recall'],
    ['Name three primary colors.', '', 'factual recall'],
    ['Define the term "photosynthesis".', '', 'factual recall'],
    ['What is the boiling point of water in Celsius?', '', 'factual recall'],
    ['Rewrite the sentence in passive voice.', 'The cat chased the mouse.', 'rewriting/formatting'],
    ['Translate "Good morning" into Spanish.', '', 'rewriting/formatting'],
    ['Convert the following sentence into a question.', 'He is here.', 'rewriting/formatting'],
    // Classifying things needs knowing them; classifying text is analysing it (see category-labelled-set.ts).
    ['Classify the following animals as mammals or birds.', 'eagle, dog', 'factual recall'],
    ['Classify the following sentence as a question or a statement.', 'Is it raining?', 'rewriting/formatting'],
    ['Correct the grammar in the sentence.', 'She go to school.', 'rewriting/formatting'],
    ['What is the opposite of "hot"?', '', 'rewriting/formatting'],
    ['Calculate the area of a circle with a radius of 4 cm.', '', 'reasoning/math'],
    // A count with no number to work from asks for a fact; with numbers it is arithmetic.
    ['How many legs does a spider have?', '', 'factual recall'],
    ['How many apples are left if I eat 3 of 7?', '', 'reasoning/math'],
    ['What is 15 + 27?', '', 'reasoning/math'],
    ['Convert 45 kilometers to meters.', '', 'reasoning/math'],
    ['Solve for x.', '2x + 3 = 7', 'reasoning/math'],
    ['Evaluate the expression.', '7 * 6', 'reasoning/math'],
    ['Generate a sentence using the word "serendipity".', '', 'other'],
    ['Suggest a title for a mystery novel.', '', 'other'],
  ])('%s / %s -> %s', (instruction, input, expected) => {
    expect(ruleBasedCategory(instruction, input)).toBe(expected);
  });

  it('the tagger wraps the rules', async () => {
    const tagger = ruleBasedCategoryTagger();
    expect(await tagger.tag([{ index: 0, instruction: 'Who is the CEO?', input: '' }, { index: 1, instruction: 'Write a poem.', input: '' }])).toEqual(['factual recall', 'other']);
  });
});

describe('categoryBreakdown', () => {
  it('averages each model over the items of each category', () => {
    const js: JudgmentRecord[] = [
      [0, 80, 20],
      [1, 60, 40],
      [2, 10, 90],
    ].map(([index, a, b]) => ({
      judge: 'j', mode: 'single', provider: 't', model: 'm', index: index as number, repeat: 0,
      scores: [{ model: 'A', score: a as number }, { model: 'B', score: b as number }],
      calls: 2, cachedCalls: 0, tokenUsage: { prompt: 0, completion: 0 }, attempts: 2,
    }));
    const [judge] = collectJudgeScores(js, ['A', 'B'], [0, 1, 2]);
    const out = categoryBreakdown(judge!, ['factual recall', 'factual recall', 'reasoning/math'], undefined, { resamples: 100 });
    expect(out.categories.map((c) => [c.category, c.items, c.models.map((m) => m.mean)])).toEqual([
      ['factual recall', 2, [70, 30]],
      ['reasoning/math', 1, [10, 90]],
    ]);
  });
});

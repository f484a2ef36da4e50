import { describe, expect, it } from 'vitest';
import { formatAlpacaPrompt, formatTrainingText } from '@judgekit/core';
import { collateInstructionBatch, encodeExamples, epochOrder, evaluationBatches, fullBatches, type EncodedExample } from './instruction-batches.js';

const P = 50256;
const I = -100;

describe('collateInstructionBatch (the book custom_collate_fn)', () => {
  const cases: Array<{ name: string; examples: EncodedExample[]; options?: Partial<Parameters<typeof collateInstructionBatch>[1]>; inputs: number[][]; targets: number[][] }> = [
    {
      name: 'pads to the longest item + 1 and keeps only the first pad target',
      examples: [
        { ids: [1, 2, 3, 4, 5], promptLength: 2 },
        { ids: [6, 7], promptLength: 1 },
        { ids: [8, 9, 10], promptLength: 2 },
      ],
      inputs: [
        [1, 2, 3, 4, 5],
        [6, 7, P, P, P],
        [8, 9, 10, P, P],
      ],
      targets: [
        [2, 3, 4, 5, P],
        [7, P, I, I, I],
        [9, 10, P, I, I],
      ],
    },
    {
      name: 'truncates inputs and targets to maxLength after masking',
      examples: [
        { ids: [1, 2, 3, 4, 5], promptLength: 2 },
        { ids: [6, 7], promptLength: 1 },
      ],
      options: { maxLength: 3 },
      inputs: [
        [1, 2, 3],
        [6, 7, P],
      ],
      targets: [
        [2, 3, 4],
        [7, P, I],
      ],
    },
    {
      name: 'masks targets that predict prompt tokens',
      examples: [
        { ids: [1, 2, 3, 4], promptLength: 3 },
        { ids: [5, 6], promptLength: 1 },
      ],
      options: { maskPrompt: true },
      inputs: [
        [1, 2, 3, 4],
        [5, 6, P, P],
      ],
      targets: [
        [I, I, 4, P],
        [6, P, I, I],
      ],
    },
    {
      name: 'a pad id inside the text counts as the first pad (as the book does)',
      examples: [{ ids: [1, P, 2], promptLength: 1 }],
      inputs: [[1, P, 2]],
      targets: [[P, 2, I]],
    },
    {
      name: 'custom pad id',
      examples: [
        { ids: [1, 2], promptLength: 1 },
        { ids: [3], promptLength: 1 },
      ],
      options: { padTokenId: 0 },
      inputs: [
        [1, 2],
        [3, 0],
      ],
      targets: [
        [2, 0],
        [0, I],
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const batch = collateInstructionBatch(c.examples, { padTokenId: P, ...c.options });
      expect(batch.batch).toBe(c.inputs.length);
      expect(batch.seq).toBe(c.inputs[0]?.length);
      expect(Array.from(batch.inputs)).toEqual(c.inputs.flat());
      expect(Array.from(batch.targets)).toEqual(c.targets.flat());
    });
  }

  it('refuses an empty batch', () => {
    expect(() => collateInstructionBatch([], { padTokenId: P })).toThrow(/empty batch/);
  });
});

describe('encodeExamples', () => {
  it('encodes the training text and counts the prompt tokens', () => {
    const record = { instruction: 'Say hi.', input: 'now', output: 'hi' };
    const encode = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));
    const [example] = encodeExamples([record], encode);
    expect(example?.ids.length).toBe(formatTrainingText(record).length);
    expect(example?.promptLength).toBe(formatAlpacaPrompt(record).length);
  });
});

describe('epoch order and batches', () => {
  it('shuffles deterministically per seed and epoch', () => {
    expect(epochOrder(20, 1, 1)).toEqual(epochOrder(20, 1, 1));
    expect(epochOrder(20, 1, 1)).not.toEqual(epochOrder(20, 1, 2));
    expect(epochOrder(20, 1, 1)).not.toEqual(epochOrder(20, 2, 1));
    expect([...epochOrder(20, 1, 1)].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('drops the last partial training batch and keeps the last evaluation batch', () => {
    expect(fullBatches([0, 1, 2, 3, 4, 5, 6], 3)).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    expect(fullBatches(Array.from({ length: 935 }, (_, i) => i), 8)).toHaveLength(116);
    expect(evaluationBatches(7, 3)).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(() => fullBatches([1], 0)).toThrow(/positive integer/);
  });
});

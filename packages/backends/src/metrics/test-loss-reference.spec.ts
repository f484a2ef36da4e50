// The core test-loss protocol through the ONNX likelihood model, against the plain reference forward pass.
import { describe, expect, it } from 'vitest';
import { computeTestLoss, tokenSourceFromArray } from '@judgekit/core';
import { createTinyGpt2 } from '../architectures/gpt2/create-tiny-gpt2.js';
import { referenceLogits, referenceNll } from '../architectures/gpt2/gpt2-reference-forward.js';
import { createGpt2LikelihoodModel } from '../engine/gpt2-likelihood-model.js';

describe('computeTestLoss on ONNX Runtime', () => {
  it('equals the reference cross-entropy on a tiny real model', async () => {
    const tiny = await createTinyGpt2({ seed: 31, vocabSize: 64, contextLength: 8 });
    const tokens = Array.from({ length: 20 }, (_, i) => (i * 7 + 3) % 64);
    const model = await createGpt2LikelihoodModel(tiny.model, { device: 'cpu' });
    const result = await computeTestLoss(model, tokenSourceFromArray(tokens), { batchSize: 2 });
    await model.dispose();
    // Windows [0,8), [8,16) in batch 0; [16,19) in batch 1.
    const windowNlls = [0, 8, 16].map((begin) => {
      const length = Math.min(8, tokens.length - 1 - begin);
      const logits = referenceLogits(tiny.model, tokens.slice(begin, begin + length));
      return logits.map((row, i) => referenceNll(row, tokens[begin + i + 1]!));
    });
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const expected = (mean([...windowNlls[0]!, ...windowNlls[1]!]) + mean(windowNlls[2]!)) / 2;
    expect(result.tokens).toBe(19);
    expect(Math.abs(result.loss - expected)).toBeLessThan(1e-5);
  });
});

// Early stopping without a copy of the weights in memory: with `readAcceptedWeights`, trainEpochs never copies the
// parameters and restores the last accepted epoch from what that function reads back, bit for bit.
import { describe, expect, it, vi } from 'vitest';
import { BOOK_ADAMW } from './adamw.js';
import { Gpt2Trainer } from './gpt2-trainer.js';
import { randomGpt2Parameters, type Gpt2Shape } from '../architectures/gpt2/gpt2-parameters.js';
import type { EncodedExample } from './instruction-batches.js';
import { STUDY_RECIPE, trainEpochs, type FinetuneRecipe } from './instruction-finetune.js';
import { cloneParameters, type ModelParameters } from './model-parameters.js';

vi.mock('./model-parameters.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('./model-parameters.js')>();
  return { ...actual, cloneParameters: vi.fn(actual.cloneParameters) };
});

const SHAPE: Gpt2Shape = { vocabSize: 64, contextLength: 16, embDim: 16, nLayers: 2, nHeads: 2, qkvBias: false, tiedHead: false };

/** "prompt" a, b then the answer (a + b + shift) mod 50; a shifted validation set makes validation loss rise. */
function examples(count: number, shift: number, seed: number): EncodedExample[] {
  return Array.from({ length: count }, (_, i) => {
    const a = (i * 7 + seed) % 50;
    const b = (i * 3 + 2 * seed) % 50;
    const answer = Array.from({ length: 1 + (i % 3) }, (_, k) => (a + b + shift + k) % 50);
    return { ids: [50, a, b, 51, ...answer], promptLength: 4 };
  });
}

/** A copy made here, so that the mocked cloneParameters counts only trainEpochs' own copies. */
function copyOf(params: ReadonlyMap<string, Float32Array>): ModelParameters {
  return new Map([...params].map(([name, value]) => [name, Float32Array.from(value)]));
}

describe('trainEpochs with readAcceptedWeights', () => {
  it('keeps no copy of the weights and restores the last accepted epoch bit for bit from what it reads back', async () => {
    const recipe: FinetuneRecipe = { ...STUDY_RECIPE, padTokenId: 63, batchSize: 4, stopping: { kind: 'early', maxEpochs: 30 }, optimizer: { ...BOOK_ADAMW, lr: 2e-2 } };
    const trainer = await Gpt2Trainer.create({ shape: SHAPE, parameters: randomGpt2Parameters(SHAPE, 11), optimizer: recipe.optimizer, device: 'cpu', threads: 1 });
    const saved = new Map<number, ModelParameters>();
    const reads: number[] = [];
    vi.mocked(cloneParameters).mockClear();
    try {
      const result = await trainEpochs({
        trainer,
        train: examples(16, 0, 1),
        validation: examples(8, 7, 2),
        recipe,
        progress: false,
        onEpochAccepted: async (report, live) => {
          saved.set(report.epoch, copyOf(live.parameters));
        },
        readAcceptedWeights: async (epoch) => {
          reads.push(epoch);
          return copyOf(saved.get(epoch) as ModelParameters);
        },
      });
      expect(result.stoppedEarly).toBe(true);
      expect(reads).toEqual([result.bestEpoch]);
      expect(vi.mocked(cloneParameters)).not.toHaveBeenCalled();
      const best = saved.get(result.bestEpoch) as ModelParameters;
      for (const [name, value] of trainer.parameters) {
        const expected = best.get(name) as Float32Array;
        expect(Buffer.from(value.buffer, value.byteOffset, value.byteLength).equals(Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength)), name).toBe(true);
      }
    } finally {
      await trainer.dispose();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { BOOK_ADAMW } from './adamw.js';
import { Gpt2Trainer, type TrainingDevice } from './gpt2-trainer.js';
import { randomGpt2Parameters, type Gpt2Parameters, type Gpt2Shape } from '../architectures/gpt2/gpt2-parameters.js';
import { cloneParameters } from './model-parameters.js';
import type { EncodedExample } from './instruction-batches.js';
import { STUDY_RECIPE, trainEpochs, type FinetuneRecipe } from './instruction-finetune.js';
import { webgpuUnavailableReason } from './training-test-support.js';

const SHAPE: Gpt2Shape = { vocabSize: 64, contextLength: 16, embDim: 16, nLayers: 2, nHeads: 2, qkvBias: false, tiedHead: false };
const PAD = 63;

/** "prompt" a, b then the answer (a + b + shift) mod 50, of varied lengths so padding and masking are exercised. */
function examples(count: number, shift: number, seed: number): EncodedExample[] {
  return Array.from({ length: count }, (_, i) => {
    const a = (i * 7 + seed) % 50;
    const b = (i * 3 + 2 * seed) % 50;
    const answer = Array.from({ length: 1 + (i % 3) }, (_, k) => (a + b + shift + k) % 50);
    return { ids: [50, a, b, 51, ...answer], promptLength: 4 };
  });
}

function recipe(overrides: Partial<FinetuneRecipe>): FinetuneRecipe {
  return { ...STUDY_RECIPE, padTokenId: PAD, batchSize: 4, ...overrides, optimizer: { ...BOOK_ADAMW, ...(overrides.optimizer ?? {}) } };
}

async function run(device: TrainingDevice, r: FinetuneRecipe, validationShift = 0) {
  const trainer = await Gpt2Trainer.create({ shape: SHAPE, parameters: randomGpt2Parameters(SHAPE, 11), optimizer: r.optimizer, device, threads: 1 });
  const accepted = new Map<number, Gpt2Parameters>();
  try {
    const result = await trainEpochs({
      trainer,
      train: examples(16, 0, 1),
      validation: examples(8, validationShift, 2),
      recipe: r,
      progress: false,
      onEpochAccepted: async (report, live) => {
        accepted.set(report.epoch, cloneParameters(live.parameters));
      },
    });
    return { result, accepted, final: cloneParameters(trainer.parameters), step: trainer.step };
  } finally {
    await trainer.dispose();
  }
}

function sameBits(a: Gpt2Parameters, b: Gpt2Parameters): boolean {
  for (const [name, value] of a) {
    const other = b.get(name);
    if (!other || other.length !== value.length) return false;
    for (let i = 0; i < value.length; i++) if (!Object.is(value[i], other[i])) return false;
  }
  return true;
}

function suite(device: TrainingDevice): void {
  it('drives the training loss down', async () => {
    const { result, step } = await run(device, recipe({ stopping: { kind: 'fixed', epochs: 6 }, optimizer: { ...BOOK_ADAMW, lr: 1e-2 } }));
    expect(result.epochs).toHaveLength(6);
    expect(step).toBe(6 * 4);
    const first = result.epochs[0]?.trainLoss as number;
    const last = result.epochs.at(-1)?.trainLoss as number;
    expect(last).toBeLessThan(first * 0.7);
    expect(result.stoppedEarly).toBe(false);
  });

  it('repeats exactly with the same seed, and differs with another', async () => {
    const r = recipe({ stopping: { kind: 'fixed', epochs: 2 }, optimizer: { ...BOOK_ADAMW, lr: 3e-3 } });
    const a = await run(device, r);
    const b = await run(device, r);
    const c = await run(device, { ...r, seed: r.seed + 1 });
    expect(a.result.epochs.map((e) => [e.trainLoss, e.validationLoss])).toEqual(b.result.epochs.map((e) => [e.trainLoss, e.validationLoss]));
    expect(sameBits(a.final, b.final)).toBe(true);
    expect(a.result.epochs.map((e) => e.trainLoss)).not.toEqual(c.result.epochs.map((e) => e.trainLoss));
  });

  it('stops when validation loss rises and restores a real copy of the previous epoch', async () => {
    // Validation answers are shifted, so fitting the training mapping with a high learning rate makes it worse.
    const { result, accepted, final } = await run(device, recipe({ stopping: { kind: 'early', maxEpochs: 30 }, optimizer: { ...BOOK_ADAMW, lr: 2e-2 } }), 7);
    expect(result.stoppedEarly).toBe(true);
    const stopped = result.epochs.at(-1);
    const best = result.epochs.at(-2);
    expect(stopped?.stopped).toBe(true);
    expect(best?.epoch).toBe(result.bestEpoch);
    expect(stopped?.validationLoss).toBeGreaterThan(best?.validationLoss as number);
    // Bit-identical to the weights the trainer held when the best epoch was accepted (and saved).
    expect(sameBits(final, accepted.get(result.bestEpoch) as Gpt2Parameters)).toBe(true);
    expect(accepted.has(stopped?.epoch as number)).toBe(false);
  });
}

describe('trainEpochs on CPU', () => suite('cpu'));

describe('trainEpochs when the loss diverges', () => {
  it('stops with an error naming the epoch and step, and never keeps the diverged epoch', async () => {
    // A learning rate this large sends the weights to infinity within a few steps.
    const r = recipe({ stopping: { kind: 'early', maxEpochs: 5 }, optimizer: { ...BOOK_ADAMW, lr: 1e30 } });
    const trainer = await Gpt2Trainer.create({ shape: SHAPE, parameters: randomGpt2Parameters(SHAPE, 11), optimizer: r.optimizer, device: 'cpu', threads: 1 });
    const accepted: number[] = [];
    try {
      const failure = await trainEpochs({
        trainer,
        train: examples(16, 0, 1),
        validation: examples(8, 0, 2),
        recipe: r,
        progress: false,
        onEpochAccepted: async (report) => {
          accepted.push(report.epoch);
          expect(Number.isFinite(report.validationLoss)).toBe(true);
        },
      }).then(
        () => undefined,
        (error: Error) => error,
      );
      expect(failure?.message).toMatch(/^fine-tuning diverged: (training|validation) loss is (NaN|-?Infinity) in epoch \d+ \((batch \d+ of 4, step \d+|after step \d+)\); .*Lower the learning rate and run again \(a changed recipe starts afresh\)\.$/);
      const epoch = Number(/in epoch (\d+)/.exec(failure?.message ?? '')?.[1]);
      expect(accepted.every((e) => e < epoch)).toBe(true);
    } finally {
      await trainer.dispose();
    }
  });
});

const noWebGpu = await webgpuUnavailableReason();
describe.skipIf(noWebGpu !== undefined)(`trainEpochs on WebGPU${noWebGpu ? ` (skipped: ${noWebGpu})` : ''}`, () => suite('webgpu'));

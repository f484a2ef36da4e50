// The Llama training path against golden values from an independent implementation: float64 PyTorch autograd and
// torch.optim.AdamW in scripts/verify/llama_train_golden.py, on the two tiny Hugging Face checkpoints that script
// wrote (grouped-query attention with biases and an untied head; multi-head attention with a tied head), read through
// judgekit's training path (loadTrainingCheckpoint picks the architecture from config.json, the hand-derived
// gradient graph, AdamW on the host).
//
// Tolerances, each relative to max(1, |golden|) unless said: losses within 1e-5 (float32 ONNX Runtime against
// float64 on the same float32 weights; measured 6e-8 before and 6e-7 after the step, which moves the loss by 0.7 to
// 0.85); gradient norms within 1e-4 relative (measured 1.8e-6), sums and sampled entries within 1e-4 of the
// tensor's largest entry (measured 3.1e-5 and 4.5e-6); weights after the step within 3e-7 relative where the
// gradient is clearly nonzero (measured 5.6e-8; the decay term moves them by lr x 0.1 = 1e-4 relative).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GOLDEN_DIR, maxScaledError } from '../../engine/python-golden-fixtures.js';
import type { AdamWConfig } from '../../training/adamw.js';
import { Gpt2Trainer } from '../../training/gpt2-trainer.js';
import { loadTrainingCheckpoint } from '../../training/training-checkpoint.js';

interface GradientDigest {
  norm: number;
  sum: number;
  absMax: number;
  /** [flat index in judgekit's canonical layout, value]. */
  entries: Array<[number, number]>;
}

interface LlamaTrainGolden {
  torch: string;
  adamw: AdamWConfig;
  batch: { batch: number; seq: number; inputs: number[]; targets: number[] };
  checkpoints: Record<
    string,
    {
      shape: { kv_heads: number; bias: boolean; tied: boolean };
      batchLoss: number;
      gradients: Record<string, GradientDigest>;
      lossAfterOneStep: number;
      /** Per parameter: [flat index in the canonical layout, gradient there, weight after one AdamW step]. */
      afterOneStep: Record<string, Array<[number, number, number]>>;
    }
  >;
}

const golden = JSON.parse(readFileSync(`${GOLDEN_DIR}llama-train-golden.json`, 'utf8')) as LlamaTrainGolden;
const CHECKPOINTS = ['llama-train-gqa', 'llama-train-tied'] as const;

function relativeError(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.max(1, Math.abs(expected));
}

describe('Llama fine-tuning against golden values computed by PyTorch (scripts/verify/llama_train_golden.py)', () => {
  it('the golden checkpoints cover grouped-query attention with biases and an untied head, and multi-head attention with a tied head', () => {
    expect(golden.checkpoints['llama-train-gqa']?.shape).toMatchObject({ kv_heads: 2, bias: true, tied: false });
    expect(golden.checkpoints['llama-train-tied']?.shape).toMatchObject({ kv_heads: 4, bias: false, tied: true });
    // The batch exercises ignored padding targets.
    expect(golden.batch.targets.filter((t) => t === -100).length).toBeGreaterThan(0);
  });

  it.each(CHECKPOINTS)(
    "the %s checkpoint: the trainer's loss and gradients equal torch autograd's, and one AdamW step gives torch.optim.AdamW's loss and weights",
    async (name) => {
      const expected = golden.checkpoints[name]!;
      const checkpoint = await loadTrainingCheckpoint(`${GOLDEN_DIR}${name}/model.safetensors`);
      expect(checkpoint.architecture.modelType).toBe('llama');
      const trainer = await Gpt2Trainer.create({ shape: checkpoint.shape, architecture: checkpoint.architecture, parameters: checkpoint.parameters, optimizer: golden.adamw, device: 'cpu', threads: 1 });
      try {
        // A tied checkpoint trains no lm_head; an untied one trains it as its own parameter.
        expect(trainer.specs.map((spec) => spec.name).sort()).toEqual(Object.keys(expected.gradients).sort());
        const batch = golden.batch;
        const { loss, tokens } = await trainer.accumulateGradients(batch);
        expect(tokens).toBe(batch.targets.filter((t) => t !== -100).length);
        expect(relativeError(loss, expected.batchLoss)).toBeLessThan(1e-5);
        for (const [parameter, digest] of Object.entries(expected.gradients)) {
          const grad = trainer.gradients.get(parameter)!;
          let squares = 0;
          let sum = 0;
          for (const g of grad) {
            squares += g * g;
            sum += g;
          }
          const scale = digest.absMax;
          expect(Math.abs(Math.sqrt(squares) - digest.norm) / digest.norm, `${parameter}: norm`).toBeLessThan(1e-4);
          expect(Math.abs(sum - digest.sum) / scale, `${parameter}: sum`).toBeLessThan(1e-4);
          const entries = digest.entries.map(([i]) => grad[i]! / scale);
          expect(maxScaledError(entries, digest.entries.map(([, value]) => value / scale)), `${parameter}: entries`).toBeLessThan(1e-4);
        }
        const before = await trainer.evaluate(batch);
        await trainer.applyGradients();
        const after = await trainer.evaluate(batch);
        // The step moved the loss by far more than the tolerance.
        expect(before.loss - after.loss).toBeGreaterThan(0.1);
        expect(relativeError(after.loss, expected.lossAfterOneStep)).toBeLessThan(1e-5);
        let compared = 0;
        for (const [parameter, entries] of Object.entries(expected.afterOneStep)) {
          const param = trainer.parameters.get(parameter)!;
          for (const [i, gradient, value] of entries) {
            if (Math.abs(gradient) < 1e-4 * expected.gradients[parameter]!.absMax) continue;
            expect(Math.abs(param[i]! - value), `${parameter}[${i}]`).toBeLessThanOrEqual(3e-7 * Math.abs(value) + 1e-10);
            compared += 1;
          }
        }
        expect(compared).toBeGreaterThan(100);
      } finally {
        await trainer.dispose();
      }
    },
  );
});

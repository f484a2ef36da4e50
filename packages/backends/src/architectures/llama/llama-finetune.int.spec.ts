// A tiny Llama fine-tuned through the generic path GPT-2 uses: loadTrainingCheckpoint (the architecture chosen by
// config.json's model_type), the trainer, the instruction fine-tuning epochs (book collate, AdamW, validation) and
// saveTrainingCheckpoint back to Hugging Face naming, on the grouped-query checkpoint scripts/verify wrote.
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GOLDEN_DIR } from '../../engine/python-golden-fixtures.js';
import { Gpt2Trainer } from '../../training/gpt2-trainer.js';
import type { EncodedExample } from '../../training/instruction-batches.js';
import { BOOK_RECIPE, trainEpochs, validationLoss, type FinetuneRecipe } from '../../training/instruction-finetune.js';
import { readSafetensors } from '../../training/safetensors-file.js';
import { loadTrainingCheckpoint, saveTrainingCheckpoint } from '../../training/training-checkpoint.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Examples with a learnable rule: each sequence counts up by a fixed step from a start (ids below the pad, 127). */
function examples(count: number, offset: number): EncodedExample[] {
  return Array.from({ length: count }, (_, i) => {
    const start = ((i + offset) * 11) % 60;
    const step = 1 + ((i + offset) % 3);
    const length = 8 + ((i + offset) % 9);
    return { ids: Array.from({ length }, (_, k) => (start + k * step) % 120), promptLength: 3 };
  });
}

const RECIPE: FinetuneRecipe = {
  ...BOOK_RECIPE,
  batchSize: 4,
  evalBatchSize: 4,
  stopping: { kind: 'fixed', epochs: 3 },
  optimizer: { lr: 3e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 },
};

describe('Llama instruction fine-tuning through the generic trainer', () => {
  it('three epochs lower the validation loss of a grouped-query Llama, and the saved Hugging Face checkpoint reloads to the trained weights', async () => {
    const checkpoint = await loadTrainingCheckpoint(`${GOLDEN_DIR}llama-train-gqa/model.safetensors`);
    expect(checkpoint.architecture.modelType).toBe('llama');
    expect(checkpoint.prefix).toBe('model.');
    const trainer = await Gpt2Trainer.create({ shape: checkpoint.shape, architecture: checkpoint.architecture, parameters: checkpoint.parameters, optimizer: RECIPE.optimizer, threads: 1 });
    try {
      const train = examples(24, 0);
      const validation = examples(8, 100);
      // The pad token comes from the checkpoint's config.json (pad_token_id 127) through the architecture.
      const before = await validationLoss(trainer, validation, RECIPE);
      const result = await trainEpochs({ trainer, train, validation, recipe: RECIPE, progress: false });
      expect(result.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
      expect(trainer.step).toBe(3 * 6);
      const losses = result.epochs.map((e) => e.validationLoss);
      expect(losses.every(Number.isFinite)).toBe(true);
      // Each epoch lowers the validation loss, and the three together by far more than noise.
      expect(losses[0]!).toBeLessThan(before);
      expect(losses[2]!).toBeLessThan(losses[0]!);
      expect(before - losses[2]!).toBeGreaterThan(1);

      const dir = await mkdtemp(join(tmpdir(), 'judgekit-llama-finetune-'));
      dirs.push(dir);
      const saved = join(dir, 'model.safetensors');
      await copyFile(`${GOLDEN_DIR}llama-train-gqa/config.json`, join(dir, 'config.json'));
      await saveTrainingCheckpoint(saved, checkpoint, trainer.parameters);
      // Same tensor names and order as the source (Hugging Face naming, nn.Linear [out, in]).
      expect((await readSafetensors(saved, () => false)).names).toEqual(checkpoint.sourceNames);
      const reloaded = await loadTrainingCheckpoint(saved);
      for (const [name, value] of trainer.parameters) expect(reloaded.parameters.get(name), name).toEqual(value);
    } finally {
      await trainer.dispose();
    }
  });
});

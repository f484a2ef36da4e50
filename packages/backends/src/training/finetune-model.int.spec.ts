// finetune() end to end on tiny checkpoints written by the engine's createTinyGpt2: files in the run dir, the
// saved model in the input's naming and loadable by the engine, and resume after an interruption.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonlLog, type AlpacaRecord } from '@judgekit/core';
import { loadGpt2Checkpoint } from '../architectures/gpt2/load-gpt2-checkpoint.js';
import { createTinyGpt2 } from '../testing/index.js';
import { finetune, FINETUNE_FILES, type FinetuneOptions } from './finetune-model.js';
import type { EpochReport } from './instruction-finetune.js';
import { readSafetensors } from './safetensors-file.js';
import { loadTrainingCheckpoint } from './training-checkpoint.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'judgekit-finetune-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const TEMPLATE = { name: 'tiny', prompt: '{instruction}', input: ' {input}', response: '={output}' };
const RECORDS: AlpacaRecord[] = Array.from({ length: 60 }, (_, i) => ({ instruction: `${i % 7}+${i % 5}`, input: i % 4 === 0 ? 'x' : '', output: String((i % 7) + (i % 5)) }));
const encode = (text: string): number[] => [...text].map((c) => c.charCodeAt(0) % 60);

function options(checkpoint: string, outDir: string, extra: Partial<FinetuneOptions> = {}): FinetuneOptions {
  return {
    checkpoint,
    records: RECORDS,
    outDir,
    template: TEMPLATE,
    encode,
    progress: false,
    threads: 1,
    ...extra,
    recipe: { batchSize: 4, padTokenId: 63, stopping: { kind: 'fixed', epochs: 3 }, optimizer: { lr: 3e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 }, ...(extra.recipe ?? {}) },
  };
}

const TINY = { vocabSize: 64, contextLength: 16, embDim: 16, nLayers: 2, nHeads: 2 };

describe('finetune()', () => {
  for (const variant of [
    { naming: 'hf', qkvBias: true, tiedHead: true },
    { naming: 'book', qkvBias: false, tiedHead: false },
  ] as const) {
    it(`writes a ${variant.naming}-named checkpoint the engine loads, with per-epoch losses`, async () => {
      const tiny = await createTinyGpt2({ seed: 3, ...TINY, ...variant, dir: await tempDir() });
      const out = await tempDir();
      const result = await finetune(options(tiny.checkpointPath, out, { name: 'tiny' }));
      expect(result.dir).toBe(join(out, 'finetune', 'tiny'));
      expect(result.naming).toBe(variant.naming);
      expect(result.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
      expect(result.epochs.every((e) => Number.isFinite(e.trainLoss) && Number.isFinite(e.validationLoss))).toBe(true);
      const logged = await new JsonlLog<EpochReport>(join(result.dir, FINETUNE_FILES.epochs)).read();
      expect([...logged.entries.keys()]).toEqual(['epoch/1', 'epoch/2', 'epoch/3']);

      // Same tensor names as the input (masks and other buffers included), and loadable by the engine.
      const input = await readSafetensors(tiny.checkpointPath, () => false);
      const saved = await readSafetensors(result.modelPath);
      expect(saved.names).toEqual(input.names);
      const engine = await loadGpt2Checkpoint(result.modelPath);
      expect(engine.config).toMatchObject({ ...TINY, qkvBias: variant.qkvBias });
      // The saved weights are the trained ones (equal to the resume state's), not the input's.
      const trained = await loadTrainingCheckpoint(result.modelPath);
      const resume = await readSafetensors(join(result.dir, FINETUNE_FILES.resume));
      for (const [name, value] of trained.parameters) expect(Array.from(value), name).toEqual(Array.from(resume.tensors.get(`param/${name}`)?.data ?? []));
      const original = await loadTrainingCheckpoint(tiny.checkpointPath);
      expect(Array.from(trained.parameters.get('ln_f.weight') ?? [])).not.toEqual(Array.from(original.parameters.get('ln_f.weight') ?? []));
    });
  }

  it('resumes after an interruption with the same result as an uninterrupted run', async () => {
    const tiny = await createTinyGpt2({ seed: 4, ...TINY, naming: 'book', qkvBias: true, tiedHead: false, dir: await tempDir() });
    const straight = await finetune(options(tiny.checkpointPath, await tempDir()));

    const out = await tempDir();
    const controller = new AbortController();
    await expect(
      finetune(options(tiny.checkpointPath, out, { signal: controller.signal, onStep: (step) => step.epoch === 2 && step.batch === 2 && controller.abort() })),
    ).rejects.toThrow(/interrupted/);
    const lines: string[] = [];
    const resumed = await finetune(options(tiny.checkpointPath, out, { log: (line) => lines.push(line) }));
    expect(resumed.resumedFromEpoch).toBe(1);
    expect(lines.some((line) => line.startsWith('resuming'))).toBe(true);
    expect(resumed.epochs.map((e) => [e.trainLoss, e.validationLoss, e.steps])).toEqual(straight.epochs.map((e) => [e.trainLoss, e.validationLoss, e.steps]));
    const a = await readFile(straight.modelPath);
    const b = await readFile(resumed.modelPath);
    expect(Buffer.compare(a, b)).toBe(0);

    // A finished run resumes to "nothing left to do"; more epochs continue from the saved state.
    const again = await finetune(options(tiny.checkpointPath, out));
    expect(again.epochs).toHaveLength(3);
    const extended = await finetune(options(tiny.checkpointPath, out, { recipe: { stopping: { kind: 'fixed', epochs: 4 } } }));
    expect(extended.resumedFromEpoch).toBe(3);
    expect(extended.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
  });

  it('refuses a resume state from a different run', async () => {
    const tiny = await createTinyGpt2({ seed: 5, ...TINY, naming: 'hf', dir: await tempDir() });
    const out = await tempDir();
    await finetune(options(tiny.checkpointPath, out, { recipe: { stopping: { kind: 'fixed', epochs: 1 } } }));
    await expect(finetune(options(tiny.checkpointPath, out, { recipe: { stopping: { kind: 'fixed', epochs: 2 }, seed: 99 } }))).rejects.toThrow(/different run/);
    const fresh = await finetune(options(tiny.checkpointPath, out, { resume: false, recipe: { stopping: { kind: 'fixed', epochs: 1 }, seed: 99 } }));
    expect(fresh.resumedFromEpoch).toBe(0);
  });
});

// finetune() end to end on tiny checkpoints written by the engine's createTinyGpt2: files in the run dir, the
// saved model in the input's naming and loadable by the engine, and resume after an interruption.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonlLog, JudgekitError, pathExists, type AlpacaRecord } from '@judgekit/core';
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
      // The saved weights are the trained ones, not the input's.
      const trained = await loadTrainingCheckpoint(result.modelPath);
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
  });

  it('a finished run removes its resume state; a rerun reuses the result without training, and extending it asks for --fresh', async () => {
    const tiny = await createTinyGpt2({ seed: 6, ...TINY, naming: 'hf', dir: await tempDir() });
    const out = await tempDir();
    const first = await finetune(options(tiny.checkpointPath, out, { name: 'tiny' }));
    const resumePath = join(first.dir, FINETUNE_FILES.resume);
    expect(await pathExists(resumePath)).toBe(false);
    for (const file of ['model', 'config', 'epochs', 'result'] as const) expect(await pathExists(join(first.dir, FINETUNE_FILES[file])), file).toBe(true);
    const weights = await readFile(first.modelPath);
    const epochLog = await readFile(join(first.dir, FINETUNE_FILES.epochs), 'utf8');

    // The rerun trains nothing: no step is taken, the files are untouched, the result is the same.
    const lines: string[] = [];
    let steps = 0;
    const again = await finetune(options(tiny.checkpointPath, out, { name: 'tiny', log: (line) => lines.push(line), onStep: () => steps++ }));
    expect(steps).toBe(0);
    expect(lines).toContain('tiny already finished (epoch 3 kept): nothing to do');
    expect(again).toEqual({ ...first, resumedFromEpoch: 3 });
    expect((await readFile(first.modelPath)).equals(weights)).toBe(true);
    expect(await readFile(join(first.dir, FINETUNE_FILES.epochs), 'utf8')).toBe(epochLog);
    expect(await pathExists(resumePath)).toBe(false);

    // Without the optimizer state a longer run cannot continue this one bit for bit: it says so and names --fresh.
    await expect(finetune(options(tiny.checkpointPath, out, { name: 'tiny', recipe: { stopping: { kind: 'fixed', epochs: 4 } } }))).rejects.toThrow(
      /result\.json: this run finished after 3 epochs and its resume state was removed, so it cannot go on to 4: run again with --fresh \(or delete /,
    );
    const fresh = await finetune(options(tiny.checkpointPath, out, { name: 'tiny', resume: false, recipe: { stopping: { kind: 'fixed', epochs: 4 } } }));
    expect(fresh.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    expect(fresh.resumedFromEpoch).toBe(0);
  });

  it('a resume state with a flipped byte is refused naming the file and --fresh, never resumed from', async () => {
    const tiny = await createTinyGpt2({ seed: 7, ...TINY, naming: 'book', qkvBias: true, tiedHead: false, dir: await tempDir() });
    const out = await tempDir();
    const controller = new AbortController();
    await expect(
      finetune(options(tiny.checkpointPath, out, { name: 'tiny', signal: controller.signal, onStep: (step) => step.epoch === 2 && step.batch === 1 && controller.abort() })),
    ).rejects.toThrow(/interrupted/);
    const resumePath = join(out, 'finetune', 'tiny', FINETUNE_FILES.resume);
    const bytes = await readFile(resumePath);
    // One bit of an AdamW moment near the end of the file: the header still parses and every shape still fits.
    bytes[bytes.length - 7] = (bytes[bytes.length - 7] as number) ^ 0x10;
    await writeFile(resumePath, bytes);
    let steps = 0;
    const error = await finetune(options(tiny.checkpointPath, out, { name: 'tiny', onStep: () => steps++ })).catch((caught: unknown) => caught as JudgekitError);
    expect(error).toBeInstanceOf(JudgekitError);
    expect((error as JudgekitError).file).toBe(resumePath);
    expect((error as JudgekitError).message).toMatch(/resume\.safetensors: the resume state is damaged \(checksum mismatch: .*--fresh/);
    expect(steps).toBe(0);
    const fresh = await finetune(options(tiny.checkpointPath, out, { name: 'tiny', resume: false }));
    expect(fresh.resumedFromEpoch).toBe(0);
  });

  it('refuses a resume state from a different run', async () => {
    const tiny = await createTinyGpt2({ seed: 5, ...TINY, naming: 'hf', dir: await tempDir() });
    const out = await tempDir();
    await finetune(options(tiny.checkpointPath, out, { name: 'tiny', recipe: { stopping: { kind: 'fixed', epochs: 1 } } }));
    await expect(finetune(options(tiny.checkpointPath, out, { name: 'tiny', recipe: { stopping: { kind: 'fixed', epochs: 2 }, seed: 99 } }))).rejects.toThrow(/different run/);
    const fresh = await finetune(options(tiny.checkpointPath, out, { name: 'tiny', resume: false, recipe: { stopping: { kind: 'fixed', epochs: 1 }, seed: 99 } }));
    expect(fresh.resumedFromEpoch).toBe(0);
  });
});

// Test loss of N checkpoints and nothing else: a study composed from one of its stages. The config names the
// models and the held-out data; the study's own LossStage measures each checkpoint through its backend with the
// study's window protocol (no dataset, fine-tuning, generation or judging). Tiny seeded GPT-2 checkpoints stand in
// for yours.
//   node --conditions=@judgekit/source --import tsx/esm examples/study-loss-only.ts [N]
import 'reflect-metadata';
import { assembleContainer, createStudy, formatLoss, LossStage, Pipeline, studyModule, validateStudyConfig, type LoadedStudyConfig, type RunLosses, type StudyConfig } from '@judgekit/core';
import backends from '@judgekit/backends';
import { createTinyGpt2 } from '@judgekit/backends/testing';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const count = Number(process.argv[2] ?? 3);
const dir = await mkdtemp(join(tmpdir(), 'judgekit-example-loss-only-'));
try {
  // N checkpoints (book naming, config beside each) and held-out text.
  const models: NonNullable<StudyConfig['models']> = [];
  for (let i = 1; i <= count; i++) {
    const tiny = await createTinyGpt2({ dir, name: `checkpoint-${i}`, seed: i, vocabSize: 50257, contextLength: 32, embDim: 8 * i, nLayers: 1, nHeads: 2, naming: 'book' });
    models.push({ name: `checkpoint-${i}`, checkpoint: tiny.checkpointPath });
  }
  await writeFile(join(dir, 'held-out.txt'), 'The quick brown fox jumps over the lazy dog. A second sentence about the weather in spring.');

  // #region loss-only
  const config: StudyConfig = { models, loss: { data: 'held-out.txt', contextLength: 32, batchSize: 2 }, reporters: [] };
  const loaded: LoadedStudyConfig = { config: validateStudyConfig(config, 'loss-only'), baseDir: dir, file: join(dir, 'loss-only.json') };
  // The study's stages and the built-in backends; a backend plugin would be one more module (or `plugins: [...]`).
  const { container } = await assembleContainer({ modules: [studyModule, backends] });
  const study = createStudy(container, loaded, { runDir: join(dir, 'run'), cacheDir: join(dir, 'cache'), output: { stdout: process.stdout, stderr: process.stderr, progress: false } });
  await study.store.ensure();
  // One stage of the study, not all of it: the pipeline records it in stages.jsonl, so a rerun skips it.
  await new Pipeline(new LossStage().plan(study)).run(study.store.dir, { log: (message) => console.error(message) });
  const losses = JSON.parse(await readFile(study.store.file('loss'), 'utf8')) as RunLosses;
  // #endregion

  console.log('| checkpoint | test loss |\n| --- | --- |');
  for (const row of losses.models) console.log(`| ${row.name} | ${formatLoss(row)} |`);
  if (losses.models.length !== count || losses.models.some((row) => !(row.loss > 0))) throw new Error(`expected ${count} losses, got ${JSON.stringify(losses.models)}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}

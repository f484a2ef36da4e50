// Generate with one backend, judge with others: two tiny GPT-2 checkpoints answer the test split through the
// built-in ONNX Runtime backend, then the built-in reference judge and a plugin judge (the `length` mode of
// examples/plugins/length-judge-plugin.ts) score the answers. Four of the study's stages, composed: dataset,
// generate, judge, results; no test loss, fine-tuning or report. Tiny seeded checkpoints stand in for yours.
//   node --conditions=@judgekit/source --import tsx/esm examples/study-generate-and-judge.ts
import 'reflect-metadata';
import {
  assembleContainer,
  createStudy,
  DatasetStage,
  GenerateStage,
  JudgeStage,
  Pipeline,
  ResultsStage,
  studyModule,
  validateStudyConfig,
  type AnswerRecord,
  type RunResults,
  type StudyConfig,
} from '@judgekit/core';
import backends from '@judgekit/backends';
import { createTinyGpt2 } from '@judgekit/backends/testing';
import datasets, { tinyTasks } from '@judgekit/datasets';
import judges from '@judgekit/judges';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = await mkdtemp(join(tmpdir(), 'judgekit-example-generate-judge-'));
try {
  for (const name of ['small', 'other']) await mkdir(join(dir, name));
  const small = await createTinyGpt2({ dir: join(dir, 'small'), seed: 1, vocabSize: 50257, contextLength: 128, embDim: 16, nLayers: 1, nHeads: 2 });
  const other = await createTinyGpt2({ dir: join(dir, 'other'), seed: 2, vocabSize: 50257, contextLength: 128, embDim: 16, nLayers: 1, nHeads: 2 });
  await writeFile(join(dir, 'tasks.json'), JSON.stringify(tinyTasks({ count: 40 })));

  // #region generate-and-judge
  const config: StudyConfig = {
    plugins: [fileURLToPath(new URL('./plugins/length-judge-plugin.js', import.meta.url))],
    models: [
      { name: 'small', checkpoint: small.checkpointPath },
      { name: 'other', checkpoint: other.checkpointPath, backend: 'onnxruntime' },
    ],
    dataset: { location: 'tasks.json', limit: 3 },
    generation: { maxNewTokens: 8 },
    judges: [{ mode: 'reference' }, { mode: 'length', options: { cap: 40 } }],
    reporters: [],
  };
  const loaded = { config: validateStudyConfig(config, 'generate-and-judge'), baseDir: dir, file: join(dir, 'generate-and-judge.json') };
  const { container } = await assembleContainer({ modules: [studyModule, datasets, backends, judges], plugins: config.plugins ?? [], baseDir: dir });
  const study = createStudy(container, loaded, { runDir: join(dir, 'run'), cacheDir: join(dir, 'cache'), device: 'cpu', output: { stdout: process.stdout, stderr: process.stderr, progress: false } });
  await study.store.ensure();
  const stages = [new DatasetStage(), new GenerateStage(), new JudgeStage(), new ResultsStage()].flatMap((stage) => stage.plan(study));
  await new Pipeline(stages).run(study.store.dir, { log: (message) => console.error(message) });
  // #endregion

  const answers = JSON.parse(await readFile(study.store.answerFile('small'), 'utf8')) as AnswerRecord[];
  console.log(`small answered ${answers.length} items, e.g. ${JSON.stringify(answers[0]?.model_response)}`);
  const results = JSON.parse(await readFile(study.store.file('results'), 'utf8')) as RunResults;
  if (results.judges.map((judge) => judge.name).join() !== 'reference,length' || results.models.some((model) => model.scored !== 3)) {
    throw new Error(`expected both judges to score 3 items of each model: ${JSON.stringify(results)}`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

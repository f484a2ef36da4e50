// Guide example (docs/guides/compose-a-pipeline.md, "Stages of your own"): a pipeline composed from scratch in a
// script, not from the study's stages. A config names two third-party plugins (a dataset and a judge mode); the
// script picks them from the registry by id, then runs a resumable pipeline of three stages: split the dataset,
// answer the test items with two toy "models", judge the answers. Run it twice on the same run directory and the
// second run does nothing.
//   node --conditions=@judgekit/source --import tsx/esm examples/guide-compose-pipeline.ts [config.json] [runDir]
import 'reflect-metadata';
import {
  assembleContainer,
  JudgekitError,
  loadAnswerFiles,
  loadStudyConfig,
  JudgeRunner,
  Pipeline,
  splitDataset,
  writeJsonAtomic,
  type AlpacaRecord,
  type AnswerRecord,
  type Stage,
} from '@judgekit/core';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const configFile = process.argv[2] ?? fileURLToPath(new URL('./plugins/words-study.json', import.meta.url));
const ownRunDir = process.argv[3] === undefined;
const runDir = process.argv[3] ?? (await mkdtemp(join(tmpdir(), 'judgekit-guide-pipeline-')));

// 1. The config names the plugins; paths are relative to the config file. Contributions are chosen by id from the
//    registry, their options checked against their schemas, as a study does.
const { config, baseDir } = await loadStudyConfig(configFile);
const { registry, loaded } = await assembleContainer({ plugins: config.plugins ?? [], baseDir, configFile });
if (!config.dataset) throw new JudgekitError('config', `${configFile} must name a dataset.`);
const datasetSource = config.dataset;
const { value: dataset, options: datasetOptions } = registry.resolve('dataset', datasetSource.kind ?? 'alpaca', datasetSource.options, { file: configFile, path: 'dataset' });
const { value: lengthJudge, options: judgeOptions } = registry.resolve('judge', 'length', undefined, { file: configFile, path: 'judge' });
const judge = lengthJudge.create({ options: judgeOptions });

// 2. Two toy "models": functions from a prompt record to an answer.
const models: Record<string, (record: AlpacaRecord) => string> = {
  echo: (record) => record.input,
  shout: (record) => `${record.input.toUpperCase()}!!!`,
};
const answerFile = (model: string): string => join(runDir, `${model}-ift-test-results.json`);

// #region own-stages
// 3. Stages: each writes its results into the run directory; a finished stage is skipped on a rerun.
const stages: Stage[] = [
  {
    name: 'split',
    fingerprint: () => datasetSource,
    async run() {
      const { records, sha256 } = await dataset.load({ location: datasetSource.location ?? '', options: datasetOptions });
      const { test } = splitDataset(records, datasetSource.split ?? {});
      await writeJsonAtomic(join(runDir, 'test.json'), { sha256, test });
    },
  },
  {
    name: 'answer',
    fingerprint: () => Object.keys(models),
    async run() {
      const { test } = JSON.parse(await readFile(join(runDir, 'test.json'), 'utf8')) as { test: AlpacaRecord[] };
      for (const [name, answer] of Object.entries(models)) {
        const records: AnswerRecord[] = test.map((record) => ({ ...record, model_response: answer(record) }));
        await writeJsonAtomic(answerFile(name), records);
      }
    },
  },
  {
    name: 'judge',
    fingerprint: () => judge.description,
    async run() {
      const answers = await loadAnswerFiles(Object.keys(models).map(answerFile));
      await new JudgeRunner().run({ answers, judge, outDir: runDir, progress: { enabled: false } });
    },
  },
];

const outcome = await new Pipeline(stages).run(runDir, { log: (message) => console.error(message) });
// #endregion
const results = JSON.parse(await readFile(join(runDir, 'results.json'), 'utf8')) as { models: Array<{ name: string; score: number; scored: number; failed: number }> };
for (const model of results.models) console.error(`${model.name}: ${model.score.toFixed(2)} (${model.scored} scored, ${model.failed} failed)`);
// The last line is machine-readable, for the tests that run this example.
console.log(JSON.stringify({ runDir, plugins: loaded, ran: outcome.ran, skipped: outcome.skipped, models: results.models }));
if (ownRunDir) await rm(runDir, { recursive: true, force: true });

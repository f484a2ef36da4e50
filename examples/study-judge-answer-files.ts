// Judge answer files you already have with a plugin judge and a built-in one: the study config
// examples/studies/plugin-judge.json (two models' answer files, the `length` plugin judge beside `reference`), run
// as two of the study's stages, JudgeStage and ResultsStage, instead of the whole study.
//   node --conditions=@judgekit/source --import tsx/esm examples/study-judge-answer-files.ts [run-dir]
import 'reflect-metadata';
import { assembleContainer, createStudy, JudgeStage, loadStudyConfig, Pipeline, ResultsStage, studyModule, type RunResults } from '@judgekit/core';
import judges from '@judgekit/judges';
import report from '@judgekit/report';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const runDir = resolve(process.argv[2] ?? (await mkdtemp(join(tmpdir(), 'judgekit-example-judge-files-'))));
try {
  // #region judge-answer-files
  const loaded = await loadStudyConfig(fileURLToPath(new URL('./studies/plugin-judge.json', import.meta.url)));
  // Built-in judges (and reporters, which the config may name), then the plugins the config lists.
  const { container } = await assembleContainer({ modules: [studyModule, judges, report], plugins: loaded.config.plugins ?? [], baseDir: loaded.baseDir, configFile: loaded.file });
  const study = createStudy(container, loaded, { runDir, cacheDir: join(runDir, 'cache'), output: { stdout: process.stdout, stderr: process.stderr, progress: false } });
  await study.store.ensure();
  // One pipeline stage per judge (judge:reference, judge:length), then the table with a column for each.
  const stages = [new JudgeStage(), new ResultsStage()].flatMap((stage) => stage.plan(study));
  const outcome = await new Pipeline(stages).run(study.store.dir, { log: (message) => console.error(message) });
  const results = JSON.parse(await readFile(study.store.file('results'), 'utf8')) as RunResults;
  // #endregion

  console.log(`ran ${outcome.ran.join(', ')}; columns ${results.judges.map((judge) => judge.name).join(', ')}`);
  const [terse, wordy] = results.models;
  if (!(terse && wordy && terse.judges?.reference && wordy.judges?.length) || wordy.judges.length.score <= terse.judges.length!.score) {
    throw new Error(`expected a reference and a length column, the wordy answers longer: ${JSON.stringify(results.models)}`);
  }
} finally {
  if (process.argv[2] === undefined) await rm(runDir, { recursive: true, force: true });
}

// The whole study as a library call, with one stage replaced and one added through a plugin. The config is
// examples/studies/plugin-judge.json (answer files, the reference judge and the `length` plugin judge); a plugin
// module binds a StudyStage under the built-in id `report` (a Markdown leaderboard instead of the HTML report) and
// one under a new id (`answer-lengths`, between results and report). createStudy checks every id and option,
// planStudy orders the stages, runStudy runs them and writes run.json; a second run skips every finished stage.
//   node --conditions=@judgekit/source --import tsx/esm examples/study-replace-a-stage.ts [run-dir]
import 'reflect-metadata';
import {
  answerPath,
  assembleContainer,
  ContainerModule,
  createStudy,
  formatSource,
  loadAnswerFiles,
  loadStudyConfig,
  planStudy,
  runStudy,
  StudyStage,
  studyModule,
  writeFileAtomic,
  writeJsonAtomic,
  type RunResults,
  type Stage,
  type Study,
} from '@judgekit/core';
import judges from '@judgekit/judges';
import report from '@judgekit/report';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// #region stage-plugin
/** Same id as the built-in `report` stage, so it replaces it: a Markdown leaderboard, best first. */
class LeaderboardStage implements StudyStage {
  readonly id = 'report';
  readonly description = 'A Markdown leaderboard (best first) instead of the HTML report.';
  readonly order = 700;

  plan(study: Study): Stage[] {
    if (study.judges.length === 0) return [];
    return [
      {
        name: 'leaderboard',
        fingerprint: () => study.judges.map((judge) => judge.settings),
        run: async (context) => {
          const results = JSON.parse(await readFile(study.store.file('results'), 'utf8')) as RunResults;
          const ranked = [...results.models].sort((a, b) => b.score - a.score);
          const lines = ranked.map((model, rank) => `${rank + 1}. ${model.name}: ${model.score.toFixed(1)}`);
          await writeFileAtomic(study.store.path('leaderboard.md'), `# Leaderboard (${results.judges[0]?.name})\n\n${lines.join('\n')}\n`);
          context.log(`leaderboard: ${ranked[0]?.name} first`);
        },
      },
    ];
  }
}

/** A new id adds a stage at its `order`: here after the results (600) and before the report (700). */
class AnswerLengthStage implements StudyStage {
  readonly id = 'answer-lengths';
  readonly description = "Each model's mean answer length in characters.";
  readonly order = 650;

  plan(study: Study): Stage[] {
    return [
      {
        name: this.id,
        run: async () => {
          const answers = await loadAnswerFiles(study.models.map((model) => answerPath(study, model)));
          const lengths = Object.fromEntries(answers.map((file, i) => [study.models[i]?.name, file.records.reduce((sum, r) => sum + r.model_response.length, 0) / file.records.length]));
          await writeJsonAtomic(study.store.path('answer-lengths.json'), lengths);
        },
      },
    ];
  }
}

/** The plugin: an npm package would default-export this module. */
export const leaderboardPlugin = new ContainerModule(({ bind }) => {
  bind<StudyStage>(StudyStage).toConstantValue(new LeaderboardStage());
  bind<StudyStage>(StudyStage).toConstantValue(new AnswerLengthStage());
});
// #endregion

const runDir = resolve(process.argv[2] ?? (await mkdtemp(join(tmpdir(), 'judgekit-example-replace-stage-'))));
try {
  // #region run-a-study
  const loaded = await loadStudyConfig(fileURLToPath(new URL('./studies/plugin-judge.json', import.meta.url)));
  const { container, registry } = await assembleContainer({
    modules: [{ module: studyModule, source: { package: '@judgekit/core' } }, judges, report, { module: leaderboardPlugin, source: { package: 'my-leaderboard' } }],
    plugins: loaded.config.plugins ?? [],
    baseDir: loaded.baseDir,
    configFile: loaded.file,
  });
  for (const entry of registry.list('stage')) console.log(`stage ${entry.id} from ${formatSource(entry.source)}${entry.replaces ? ` (replaces ${formatSource(entry.replaces)})` : ''}`);
  // Every id and option in the config is checked here, before anything runs.
  const study = createStudy(container, loaded, { runDir, cacheDir: join(runDir, 'cache'), output: { stdout: process.stdout, stderr: process.stderr, progress: false } });
  console.log(`plan: ${planStudy(study).stages.map((stage) => stage.name).join(' -> ')}`);
  const first = await runStudy(study, { log: (message) => console.error(message) });
  const again = await runStudy(study);
  console.log(`first run: ${first.ran.join(', ')}; second run skipped ${again.skipped.length} stages and ran ${again.ran.length}`);
  // #endregion

  console.log(await readFile(join(runDir, 'leaderboard.md'), 'utf8'));
  if (first.ran.join() !== 'judge:reference,judge:length,results,answer-lengths,leaderboard' || again.ran.length !== 0) throw new Error(`unexpected stages ${JSON.stringify({ first, again })}`);
} finally {
  if (process.argv[2] === undefined) await rm(runDir, { recursive: true, force: true });
}

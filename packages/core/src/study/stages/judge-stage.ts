// Stage `judge`: one pipeline stage per configured judge (`judge:<name>`), each scoring every model's answers
// with the study's judge runner (cache, retries, concurrency, resumable judgments).
import type { Stage, StageContext } from '../../pipeline/pipeline.js';
import type { StudyStage } from '../../contracts/study-stage.js';
import { loadAnswerFiles } from '../../data/answer-file.js';
import { JudgekitError } from '../../errors.js';
import { JudgeRunner } from '../../protocol/judging/judge-runner.js';
import type { StudyJudge } from '../judge-assembly.js';
import { answerPath, type Study } from '../study.js';

export class JudgeStage implements StudyStage {
  readonly id = 'judge';
  readonly description = 'Score every model\'s answers with each configured judge (one stage per judge, resumable).';
  readonly order = 500;

  plan(study: Study): Stage[] {
    return study.judges.map((judge) => ({
      name: `judge:${judge.name}`,
      fingerprint: () => ({ judge: judge.settings, template: study.loaded.config.dataset?.template ?? 'book', models: study.models.map((m) => [m.name, m.answers ?? m.checkpoint]) }),
      run: (context: StageContext) => this.run(study, judge, context),
    }));
  }

  async run(study: Study, configured: StudyJudge, context: StageContext): Promise<void> {
    const answers = await loadAnswerFiles(study.models.map((model) => answerPath(study, model)));
    // Display names come from the config, not the file names.
    answers.forEach((answer, index) => (answer.name = study.models[index]?.name ?? answer.name));
    const settings = configured.settings;
    const template = study.loaded.config.dataset?.template;
    const summary = await new JudgeRunner().run({
      answers,
      judge: configured.judge,
      // Judgments and items go straight into the run's own files; the judge's own results beside them in judges/<name>/.
      outDir: study.store.judgeDir(configured.name),
      sharedDir: study.store.dir,
      judgeName: configured.name,
      ...(template !== undefined ? { template: template as never } : {}),
      repeats: settings.repeats ?? 1,
      itemsInFlight: 2 * (settings.concurrency ?? 4),
      ...(settings.aggregate ? { aggregate: settings.aggregate } : {}),
      calls: configured.calls,
      ...(configured.provider ? { provider: configured.provider } : {}),
      seed: study.loaded.config.seed ?? 123,
      ...(context.signal ? { signal: context.signal } : {}),
      progress: { ...(study.output.progress !== undefined ? { enabled: study.output.progress } : {}), stream: study.output.stderr as NodeJS.WriteStream },
      notify: (message: string) => context.log(`judge ${configured.name}: ${message}`),
      config: { judge: { ...settings }, study: study.loaded.file },
    });
    if (summary.interrupted) throw new JudgekitError('internal', `judge ${configured.name} was interrupted; rerun to finish it.`);
  }
}

// Stage `judge`: one pipeline stage per configured judge (`judge:<name>`), each scoring every model's answers
// with the study's judge runner (cache, retries, concurrency, resumable judgments).
import type { Stage, StageContext } from '../../pipeline/pipeline.js';
import type { StudyStage } from '../../contracts/study-stage.js';
import { loadModelAnswers } from '../../data/answer-file.js';
import { JudgekitError } from '../../errors.js';
import { JudgeRunner, type JudgeRunOptions } from '../../protocol/judging/judge-runner.js';
import { batchRunRecord, executeBatchesWith } from '../../protocol/judging/batch-execution.js';
import type { StudyJudge } from '../judge-assembly.js';
import { answerPath, type Study } from '../study.js';
import { answersContent } from '../model-content.js';

export class JudgeStage implements StudyStage {
  readonly id = 'judge';
  readonly description = 'Score every model\'s answers with each configured judge (one stage per judge, resumable).';
  readonly order = 500;

  plan(study: Study): Stage[] {
    return study.judges.map((judge) => ({
      name: `judge:${judge.name}`,
      // By content: an answer file or checkpoint overwritten in place reruns the stage; the runner then redoes only
      // the judgments whose answers changed.
      fingerprint: async () => ({
        judge: judge.settings,
        template: study.loaded.config.dataset?.template ?? 'book',
        models: await Promise.all(study.models.map(async (m) => [m.name, await answersContent(m), ...(m.response !== undefined ? [m.response] : [])])),
      }),
      run: (context: StageContext) => this.run(study, judge, context),
    }));
  }

  async run(study: Study, configured: StudyJudge, context: StageContext): Promise<void> {
    const answers = await loadModelAnswers(study.models.map((model) => ({ path: answerPath(study, model), ...(model.response !== undefined ? { response: model.response } : {}) })));
    // Display names come from the config, not the file names.
    answers.forEach((answer, index) => (answer.name = study.models[index]?.name ?? answer.name));
    const settings = configured.settings;
    const template = study.loaded.config.dataset?.template;
    const options: JudgeRunOptions = {
      answers,
      judge: configured.judge,
      // Judgments and items go straight into the run's own files; the judge's own results beside them in judges/<name>/.
      outDir: study.store.judgeDir(configured.name),
      sharedDir: study.store.dir,
      judgeName: configured.name,
      ...(template !== undefined ? { template: template as never } : {}),
      ...(settings.repeats === 'auto' ? { autoRepeats: settings.autoRepeats ?? {} } : { repeats: settings.repeats ?? 1 }),
      itemsInFlight: 2 * (settings.concurrency ?? 4),
      ...(settings.aggregate ? { aggregate: settings.aggregate } : {}),
      calls: configured.calls,
      ...(configured.provider ? { provider: configured.provider } : {}),
      seed: study.loaded.config.seed ?? 123,
      ...(context.signal ? { signal: context.signal } : {}),
      progress: { ...(study.output.progress !== undefined ? { enabled: study.output.progress } : {}), stream: study.output.stderr as NodeJS.WriteStream },
      notify: (message: string) => context.log(`judge ${configured.name}: ${message}`),
      config: { judge: { ...settings }, study: study.loaded.file },
    };
    // execution "batch-api": the calls go as provider batches first; the runner then answers them from the cache.
    if (settings.execution === 'batch-api') {
      const sent = await executeBatchesWith(options, configured.cache, settings.batch ?? {}, { ...(options.notify ? { notify: options.notify } : {}), ...(context.signal ? { signal: context.signal } : {}) });
      if (sent.interrupted) throw new JudgekitError('internal', `judge ${configured.name} was interrupted while waiting for provider batches; rerun to resume them.`);
      options.config = { ...options.config, batch: batchRunRecord(sent) };
    }
    // `judgekit run --queue`: the items are judged by workers; this runner writes the judgments as always.
    const summary = (await study.remote?.judge?.(configured, options)) ?? (await new JudgeRunner().run(options));
    if (summary.interrupted) throw new JudgekitError('internal', `judge ${configured.name} was interrupted; rerun to finish it.`);
  }
}

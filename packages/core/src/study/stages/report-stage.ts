// Stage `report`: every reporter the config names (default html) over the finished run directory.
import type { Stage, StageContext } from '../../pipeline/pipeline.js';
import type { StudyStage } from '../../contracts/study-stage.js';
import type { ReporterConfig } from '../../config/study-config.js';
import type { Study } from '../study.js';

export const DEFAULT_REPORTERS: readonly ReporterConfig[] = Object.freeze(['html']);

export class ReportStage implements StudyStage {
  readonly id = 'report';
  readonly description = 'Run the configured reporters (default: the HTML and Markdown report).';
  readonly order = 700;

  plan(study: Study): Stage[] {
    if (study.judges.length === 0) return [];
    const reporters = study.loaded.config.reporters ?? DEFAULT_REPORTERS;
    return [
      {
        name: this.id,
        fingerprint: () => ({ reporters, judges: study.judges.map((j) => j.settings), loss: study.loaded.config.loss ?? null, models: study.loaded.config.models }),
        run: (context) => this.run(study, reporters, context),
      },
    ];
  }

  async run(study: Study, reporters: readonly ReporterConfig[], context: StageContext): Promise<void> {
    for (const [index, config] of reporters.entries()) {
      const id = typeof config === 'string' ? config : config.id;
      const given = typeof config === 'string' ? undefined : config.options;
      const { value: reporter, options } = study.registry.resolve('reporter', id, given, { file: study.loaded.file, path: `reporters[${index}]` });
      const { files } = await reporter.report(study.store.dir, options);
      context.log(`report ${id}: ${files.join(', ')}`);
    }
  }
}

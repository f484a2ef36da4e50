// Stage `results`: the study's table (losses and every judge's column) into results.json/.md/.csv.
import type { Stage } from '../../pipeline/pipeline.js';
import type { StudyStage } from '../../contracts/study-stage.js';
import { formatStudyTable, mergeStudyResults } from '../study-results.js';
import type { Study } from '../study.js';

export class ResultsStage implements StudyStage {
  readonly id = 'results';
  readonly description = "The study's table: test loss and each judge's score with its 95% CI, as JSON, Markdown and CSV.";
  readonly order = 600;

  plan(study: Study): Stage[] {
    if (study.judges.length === 0) return [];
    return [
      {
        name: this.id,
        // Rebuilt whenever an earlier stage reran (the pipeline reruns every later stage).
        fingerprint: () => ({ judges: study.judges.map((j) => j.settings), loss: study.loaded.config.loss ?? null, models: study.models.map((m) => m.name) }),
        run: async () => {
          const results = await mergeStudyResults(study.store, study.models.map((m) => m.name), study.judges.map((j) => j.name));
          study.output.stdout.write(`\n${formatStudyTable(results)}\n`);
        },
      },
    ];
  }
}

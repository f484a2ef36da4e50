// Stage `dataset`: reads the instruction dataset through its plugin, splits it, and records what was used.
import type { Stage, StageContext } from '../../pipeline/pipeline.js';
import type { StudyStage } from '../../contracts/study-stage.js';
import { writeJsonAtomic } from '../../util/atomic-write.js';
import { modelsToRun, type Study } from '../study.js';

export class DatasetStage implements StudyStage {
  readonly id = 'dataset';
  readonly description = 'Read the instruction dataset through its plugin (checksum-verified) and split it 85/10/5.';
  readonly order = 100;

  plan(study: Study): Stage[] {
    if (modelsToRun(study).length === 0) return [];
    return [
      {
        name: this.id,
        fingerprint: () => study.dataset.fingerprint(),
        run: (context) => this.run(study, context),
      },
    ];
  }

  async run(study: Study, context: StageContext): Promise<void> {
    const dataset = await study.dataset.get();
    await writeJsonAtomic(study.store.datasetFile, { source: dataset.source, sha256: dataset.sha256, records: dataset.records.length, split: dataset.sizes, testItems: dataset.test.length });
    context.log(`dataset: ${dataset.records.length} records (sha256 ${dataset.sha256.slice(0, 12)}...), split ${dataset.sizes.train}/${dataset.sizes.test}/${dataset.sizes.validation}, ${dataset.test.length} test items used`);
  }
}

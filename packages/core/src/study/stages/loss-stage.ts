// Stage `loss`: every model with a checkpoint, through its own backend, on the held-out tokens with the study's
// window protocol. One line per model in loss.jsonl, so an interrupted stage resumes at the next model.
import type { Stage, StageContext } from '../../pipeline/pipeline.js';
import type { StudyStage } from '../../contracts/study-stage.js';
import type { StudyConfig } from '../../config/study-config.js';
import { JsonlLog } from '../../run/jsonl-log.js';
import type { RunLosses } from '../../run/run-directory.js';
import { writeJsonAtomic } from '../../util/atomic-write.js';
import { computeTestLoss } from '../../protocol/loss/test-loss.js';
import { openTokenSource } from '../../protocol/loss/token-source.js';
import { modelBackend, resolveStudyPath, type Study, type StudyModel } from '../study.js';

type LossRow = RunLosses['models'][number];
type LossConfig = NonNullable<StudyConfig['loss']>;

function protocolOptions(config: LossConfig): Record<string, number> {
  const options: Record<string, number> = {};
  for (const key of ['contextLength', 'batchSize', 'stride', 'startToken', 'batches'] as const) {
    if (config[key] !== undefined) options[key] = config[key] as number;
  }
  return options;
}

export class LossStage implements StudyStage {
  readonly id = 'loss';
  readonly description = "Test loss of each checkpoint on the held-out tokens (the study's non-overlapping windows).";
  readonly order = 200;

  plan(study: Study): Stage[] {
    const config = study.loaded.config.loss;
    if (!config || !study.models.some((model) => model.checkpoint)) return [];
    return [
      {
        name: this.id,
        fingerprint: () => ({ loss: config, models: study.models.map((m) => [m.name, m.backend, m.backendOptions, m.checkpoint]) }),
        run: (context) => this.run(study, config, context),
      },
    ];
  }

  async run(study: Study, config: LossConfig, context: StageContext): Promise<void> {
    const log = new JsonlLog<LossRow>(study.store.lossLogFile);
    const { entries } = await log.read();
    for (const model of study.models) {
      if (!model.checkpoint || entries.has(model.name)) continue;
      const row = await this.measure(study, model, config);
      await log.append(model.name, row);
      entries.set(model.name, row);
      context.log(`loss ${model.name}: ${row.loss.toFixed(3)} over ${row.tokens} tokens`);
    }
    const losses: RunLosses = { models: study.models.flatMap((m) => (entries.has(m.name) ? [entries.get(m.name) as LossRow] : [])) };
    await writeJsonAtomic(study.store.file('loss'), losses);
  }

  async measure(study: Study, model: StudyModel, config: LossConfig): Promise<LossRow> {
    const likelihood = await modelBackend(study, model).loadLikelihoodModel(
      { path: model.checkpoint as string, name: model.name, ...(model.config ? { configPath: model.config } : {}) },
      { ...(study.device ? { device: study.device } : {}), options: model.backendOptions },
    );
    try {
      const source = await openTokenSource(resolveStudyPath(study.loaded, config.data), { ...(likelihood.tokenizer ? { tokenizer: likelihood.tokenizer } : {}) });
      try {
        const result = await computeTestLoss(likelihood, source, protocolOptions(config));
        return { name: model.name, loss: result.loss, tokens: result.tokens, protocol: result.protocol as unknown as Record<string, unknown> };
      } finally {
        await source.close();
      }
    } finally {
      await likelihood.dispose();
    }
  }
}

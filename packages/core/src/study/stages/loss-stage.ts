// Stage `loss`: every model with a checkpoint, through its own backend, on the held-out tokens with the study's
// window protocol. One line per model in loss.jsonl, so an interrupted stage resumes at the next model.
import type { Stage, StageContext } from '../../pipeline/pipeline.js';
import type { StudyStage } from '../../contracts/study-stage.js';
import type { StudyConfig } from '../../config/study-config.js';
import { JsonlLog } from '../../run/jsonl-log.js';
import type { RunLosses } from '../../run/run-directory.js';
import { writeJsonAtomic } from '../../util/atomic-write.js';
import { computeTestLoss, type TestLossOptions } from '../../protocol/loss/test-loss.js';
import { formatLoss, resolveTestLossSettings, type TestLossSettings } from '../../protocol/loss/loss-protocol.js';
import { openTokenSource } from '../../protocol/loss/token-source.js';
import { modelBackend, resolveStudyPath, type Study, type StudyModel } from '../study.js';
import { checkpointChange, checkpointContent } from '../model-content.js';

type LossRow = RunLosses['models'][number];
/** A loss.jsonl line: the row and the content fingerprint of the checkpoint it was measured on. */
type LoggedLossRow = LossRow & { checkpointContent?: string };
type LossConfig = NonNullable<StudyConfig['loss']>;

/** The settings the stage measures with: the config's, the rest from `TEST_LOSS_DEFAULTS` (as `judgekit loss`). */
export function lossStageSettings(config: LossConfig, modelContextLength?: number): TestLossSettings {
  return resolveTestLossSettings(config, modelContextLength);
}

function protocolOptions(settings: TestLossSettings): TestLossOptions {
  const { batches, ...rest } = settings;
  return { ...rest, ...(batches !== undefined ? { batches } : {}) };
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
        fingerprint: async () => ({ loss: config, models: await Promise.all(study.models.map(async (m) => [m.name, m.backend, m.backendOptions, await checkpointContent(m)])) }),
        run: (context) => this.run(study, config, context),
      },
    ];
  }

  async run(study: Study, config: LossConfig, context: StageContext): Promise<void> {
    const log = new JsonlLog<LoggedLossRow>(study.store.lossLogFile);
    const { entries } = await log.read();
    for (const model of study.models) {
      if (!model.checkpoint) continue;
      // A model's loss is reused only if measured on the same checkpoint content; only a changed model is measured again.
      const content = (await checkpointContent(model)) as string;
      const logged = entries.get(model.name);
      if (logged?.checkpointContent === content) continue;
      if (logged) context.log(`loss ${model.name}: ${checkpointChange(model, logged.checkpointContent, content)}: measuring its loss again`);
      const row: LoggedLossRow = { ...(await this.measure(study, model, config)), checkpointContent: content };
      await log.append(model.name, row);
      entries.set(model.name, row);
      context.log(`loss ${model.name}: ${formatLoss(row)}`);
    }
    const losses: RunLosses = {
      models: study.models.flatMap((m) => {
        const logged = entries.get(m.name);
        if (!logged) return [];
        const { checkpointContent: _content, ...row } = logged;
        return [row];
      }),
    };
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
        const result = await computeTestLoss(likelihood, source, protocolOptions(lossStageSettings(config, likelihood.contextLength)));
        return {
          name: model.name,
          loss: result.loss,
          meanOfBatchMeans: result.meanOfBatchMeans,
          tokenMean: result.tokenMean,
          tokens: result.tokens,
          batches: result.batches,
          windows: result.windows,
          protocol: result.protocol as unknown as Record<string, unknown>,
        };
      } finally {
        await source.close();
      }
    } finally {
      await likelihood.dispose();
    }
  }
}

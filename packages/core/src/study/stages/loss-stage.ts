// Stage `loss`: every model with a checkpoint, through its own backend, on the held-out tokens with the study's
// window protocol. One line per model in loss.jsonl, so an interrupted stage resumes at the next model.
import type { Stage, StageContext } from '../../pipeline/pipeline.js';
import type { StudyStage } from '../../contracts/study-stage.js';
import type { StudyConfig } from '../../config/study-config.js';
import { JsonlLog } from '../../run/jsonl-log.js';
import type { RunLosses } from '../../run/run-directory.js';
import { writeJsonAtomic } from '../../util/atomic-write.js';
import { computeTestLoss, type TestLossOptions, type TestLossResult } from '../../protocol/loss/test-loss.js';
import { formatLoss, resolveTestLossSettings, type TestLossSettings } from '../../protocol/loss/loss-protocol.js';
import { openTokenSource } from '../../protocol/loss/token-source.js';
import { modelBackend, resolveStudyPath, type Study, type StudyModel } from '../study.js';
import { checkpointChange, checkpointContent } from '../model-content.js';
import { canonicalHash } from '../../util/canonical-hash.js';
import { fileContentSha256 } from '../../util/file-fingerprint.js';

/** The held-out tokens by content (a file), else by what the config names. */
async function lossDataContent(study: Study, config: LossConfig): Promise<string> {
  try {
    return `sha256:${await fileContentSha256(resolveStudyPath(study.loaded, config.data))}`;
  } catch {
    return config.data;
  }
}

/** Everything besides the checkpoint that a model's loss depends on: settings, tokens (by content), backend. */
function measuredWith(config: LossConfig, data: string, model: StudyModel): string {
  const { data: _path, ...settings } = config;
  return canonicalHash({ settings, data, backend: model.backend, backendOptions: model.backendOptions ?? null, config: model.config ?? null });
}

type LossRow = RunLosses['models'][number];
/** A loss.jsonl line: the row and the content fingerprint of the checkpoint it was measured on. */
type LoggedLossRow = LossRow & { checkpointContent?: string; measuredWith?: string };
type LossConfig = NonNullable<StudyConfig['loss']>;

/** The settings the stage measures with: the config's, the rest from `TEST_LOSS_DEFAULTS` (as `judgekit loss`). */
export function lossStageSettings(config: LossConfig, modelContextLength?: number): TestLossSettings {
  return resolveTestLossSettings(config, modelContextLength);
}

function protocolOptions(settings: TestLossSettings): TestLossOptions {
  const { batches, ...rest } = settings;
  return { ...rest, ...(batches !== undefined ? { batches } : {}) };
}

function lossRow(name: string, result: TestLossResult): LossRow {
  return {
    name,
    loss: result.loss,
    meanOfBatchMeans: result.meanOfBatchMeans,
    tokenMean: result.tokenMean,
    tokens: result.tokens,
    batches: result.batches,
    windows: result.windows,
    protocol: result.protocol as unknown as Record<string, unknown>,
  };
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
        fingerprint: async () => ({ loss: config, data: await lossDataContent(study, config), models: await Promise.all(study.models.map(async (m) => [m.name, m.backend, m.backendOptions, await checkpointContent(m)])) }),
        run: (context) => this.run(study, config, context),
      },
    ];
  }

  async run(study: Study, config: LossConfig, context: StageContext): Promise<void> {
    const log = new JsonlLog<LoggedLossRow>(study.store.lossLogFile);
    const { entries } = await log.read();
    const data = await lossDataContent(study, config);
    for (const model of study.models) {
      if (!model.checkpoint) continue;
      // A model's loss is reused only if measured on the same checkpoint content with the same settings and tokens;
      // only a changed model is measured again.
      const content = (await checkpointContent(model)) as string;
      const inputs = measuredWith(config, data, model);
      const logged = entries.get(model.name);
      if (logged?.checkpointContent === content && logged.measuredWith === inputs) continue;
      if (logged) {
        const why = logged.checkpointContent !== content ? checkpointChange(model, logged.checkpointContent, content) : logged.measuredWith === undefined ? 'its loss settings were not recorded (a run directory from an older judgekit)' : 'the loss settings, the held-out tokens or its backend changed';
        context.log(`loss ${model.name}: ${why}: measuring its loss again`);
      }
      const row: LoggedLossRow = { ...(await this.measure(study, model, config)), checkpointContent: content, measuredWith: inputs };
      await log.append(model.name, row);
      entries.set(model.name, row);
      context.log(`loss ${model.name}: ${formatLoss(row)}`);
    }
    const losses: RunLosses = {
      models: study.models.flatMap((m) => {
        const logged = entries.get(m.name);
        if (!logged) return [];
        const { checkpointContent: _content, measuredWith: _inputs, ...row } = logged;
        return [row];
      }),
    };
    await writeJsonAtomic(study.store.file('loss'), losses);
  }

  async measure(study: Study, model: StudyModel, config: LossConfig): Promise<LossRow> {
    // `judgekit run --queue`: the batches are scored by workers and added up in the in-process order.
    const { data: _data, ...settings } = config;
    const remote = await study.remote?.loss?.(model, { dataPath: resolveStudyPath(study.loaded, config.data), settings });
    if (remote) return lossRow(model.name, remote);
    const likelihood = await modelBackend(study, model).loadLikelihoodModel(
      { path: model.checkpoint as string, name: model.name, ...(model.config ? { configPath: model.config } : {}) },
      { ...(study.device ? { device: study.device } : {}), options: model.backendOptions },
    );
    try {
      const source = await openTokenSource(resolveStudyPath(study.loaded, config.data), { ...(likelihood.tokenizer ? { tokenizer: likelihood.tokenizer } : {}) });
      try {
        const result = await computeTestLoss(likelihood, source, protocolOptions(lossStageSettings(config, likelihood.contextLength)));
        return lossRow(model.name, result);
      } finally {
        await source.close();
      }
    } finally {
      await likelihood.dispose();
    }
  }
}

// Stage `generate`: answers for the test split from each model (its fine-tuned weights when the study
// fine-tunes), through its backend's GenerativeModel, with the study's batching, resume and answer extraction.
import { readFile } from 'node:fs/promises';
import type { Stage, StageContext } from '../../pipeline/pipeline.js';
import type { StudyStage } from '../../contracts/study-stage.js';
import type { FinetuneOutcome } from '../../contracts/finetuning-backend.js';
import type { ModelSpec } from '../../contracts/model-backend.js';
import { pathExists } from '../../util/path-exists.js';
import { weightsFingerprint } from '../../util/file-fingerprint.js';
import { generateAnswers } from '../../protocol/generation/generate-answers.js';
import { modelBackend, modelsToRun, type Study, type StudyModel } from '../study.js';
import { FINETUNE_OUTCOME_FILE, FinetuneStage } from './finetune-stage.js';
import { checkpointContent } from '../model-content.js';

/** The weights to generate with: the fine-tuned ones when the study fine-tunes, else the checkpoint itself. */
async function generationWeights(study: Study, model: StudyModel, context: StageContext): Promise<ModelSpec> {
  if (!study.loaded.config.finetune) return { path: model.checkpoint as string, name: model.name, ...(model.config ? { configPath: model.config } : {}) };
  const outcomeFile = study.store.path('finetune', model.name, FINETUNE_OUTCOME_FILE);
  // A run directory from before outcomes were recorded: the backend resumes its finished training and says where.
  if (!(await pathExists(outcomeFile))) return (await new FinetuneStage().finetune(study, model, context)).model;
  return (JSON.parse(await readFile(outcomeFile, 'utf8')) as FinetuneOutcome).model;
}

export class GenerateStage implements StudyStage {
  readonly id = 'generate';
  readonly description = 'Answers for the test split (batched, resumable), extracted after the response header as the study does.';
  readonly order = 400;

  plan(study: Study): Stage[] {
    const models = modelsToRun(study);
    if (models.length === 0) return [];
    const config = study.loaded.config;
    return [
      {
        name: this.id,
        fingerprint: async () => ({
          generation: config.generation,
          finetune: config.finetune,
          dataset: await study.dataset.fingerprint(),
          models: await Promise.all(models.map(async (m) => [m.name, m.backend, m.backendOptions, await checkpointContent(m)])),
        }),
        run: async (context) => {
          // On a queue the models' chunks are all handed out at once.
          if (study.remote?.generativeModel) await Promise.all(models.map((model) => this.generate(study, model, context)));
          else for (const model of models) await this.generate(study, model, context);
        },
      },
    ];
  }

  async generate(study: Study, model: StudyModel, context: StageContext): Promise<void> {
    const config = study.loaded.config.generation ?? {};
    const dataset = await study.dataset.get();
    const weights = await generationWeights(study, model, context);
    const options = {
      ...(study.device ? { device: study.device } : {}),
      ...(config.batchSize !== undefined ? { batchSize: config.batchSize } : {}),
      options: model.backendOptions,
    };
    const remote = await study.remote?.generativeModel?.(model, weights, options);
    const generative = remote ?? (await modelBackend(study, model).loadGenerativeModel(weights, options));
    try {
      const template = study.loaded.config.dataset?.template;
      const result = await generateAnswers({
        model: generative,
        records: dataset.test,
        out: study.store.answersDir,
        name: model.name,
        // The weights actually used, by content: answers logged from other weights (an overwritten checkpoint, a
        // fine-tune run again) are generated again, and said so.
        modelId: await weightsFingerprint(weights),
        notify: (message: string) => context.log(`generate ${model.name}: ${message}`),
        ...(template !== undefined ? { template: template as never } : {}),
        ...config,
        ...(study.output.progress !== undefined ? { progress: study.output.progress } : {}),
        ...(context.signal ? { signal: context.signal } : {}),
        // Queued: every chunk is handed out at once (the workers bound how many run); the line shows the units.
        ...(remote ? { chunksInFlight: Number.MAX_SAFE_INTEGER, progressStatus: () => remote.status() } : {}),
      });
      context.log(`generate ${model.name}: ${result.generated} answers generated, ${result.resumed} resumed`);
    } finally {
      await generative.dispose();
    }
  }
}

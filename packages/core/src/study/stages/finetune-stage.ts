// Stage `finetune`: instruction fine-tuning of every model whose backend can, with the config's recipe. The
// backend writes and resumes under finetune/<name>/; the outcome (which weights to generate with) is recorded.
import { readFile, rm } from 'node:fs/promises';
import type { Stage, StageContext } from '../../pipeline/pipeline.js';
import type { StudyStage } from '../../contracts/study-stage.js';
import { canFinetune, type FinetuneOutcome, type FinetuneRequest } from '../../contracts/finetuning-backend.js';
import { JudgekitError } from '../../errors.js';
import { writeJsonAtomic } from '../../util/atomic-write.js';
import { pathExists } from '../../util/path-exists.js';
import { canonicalHash } from '../../util/canonical-hash.js';
import { modelBackend, modelsToRun, type Study, type StudyModel } from '../study.js';
import { checkpointChange, checkpointContent } from '../model-content.js';

export const FINETUNE_OUTCOME_FILE = 'outcome.json';
/** Which base weights (by content) the fine-tune in `finetune/<name>/` started from; written before it starts. */
export const FINETUNE_BASE_FILE = 'base.json';

interface FinetuneBase {
  checkpoint: string;
  content: string;
  /** Hash of the recipe, the dataset's records, split and template, and the backend with its options. */
  run?: string;
}

async function readBase(path: string): Promise<FinetuneBase | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as FinetuneBase;
  } catch {
    return undefined;
  }
}

export class FinetuneStage implements StudyStage {
  readonly id = 'finetune';
  readonly description = 'Instruction fine-tuning (85/10/5 split, early stopping, best epoch kept) through each model\'s backend.';
  readonly order = 300;

  plan(study: Study): Stage[] {
    const recipe = study.loaded.config.finetune;
    const models = modelsToRun(study);
    if (!recipe || models.length === 0) return [];
    return [
      {
        name: this.id,
        fingerprint: async () => ({ finetune: recipe, dataset: await study.dataset.fingerprint(), models: await Promise.all(models.map(async (m) => [m.name, m.backend, m.backendOptions, await checkpointContent(m)])) }),
        run: async (context) => {
          // On a queue every model is a unit of its own: all are handed out at once.
          if (study.remote?.finetune) await Promise.all(models.map((model) => this.finetune(study, model, context)));
          else for (const model of models) await this.finetune(study, model, context);
        },
      },
    ];
  }

  async finetune(study: Study, model: StudyModel, context: StageContext): Promise<FinetuneOutcome> {
    const backend = modelBackend(study, model);
    if (!canFinetune(backend)) {
      throw new JudgekitError('config', `${study.loaded.file}: models[${study.models.indexOf(model)}] ("${model.name}"): backend "${model.backend}" cannot fine-tune; drop "finetune" or give this model an "answers" file.`);
    }
    // Weights fine-tuned from other base weights (the checkpoint was overwritten) are not resumed: that model starts
    // afresh, the other models resume (or find their training finished).
    const dir = study.store.path('finetune', model.name);
    const content = (await checkpointContent(model)) as string;
    const base = await readBase(study.store.path('finetune', model.name, FINETUNE_BASE_FILE));
    const dataset = await study.dataset.get();
    const config = study.loaded.config;
    // The study has no --fresh: a fine-tune made with another recipe or dataset is not resumed but started again
    // (a finished one keeps no optimizer state to go on from).
    const run = canonicalHash({ recipe: config.finetune ?? {}, records: dataset.sha256, split: config.dataset?.split ?? null, template: config.dataset?.template ?? null, backend: model.backend, options: model.backendOptions ?? null });
    // A folder without base.json is from an older judgekit: its base weights are unknown, so it is not trusted either.
    if (base ? base.content !== content : await pathExists(dir)) {
      context.log(`finetune ${model.name}: ${checkpointChange(model, base?.content, content)}: fine-tuning it afresh`);
      await rm(dir, { recursive: true, force: true });
    } else if (base && base.run !== run) {
      context.log(`finetune ${model.name}: ${base.run === undefined ? 'the recipe it was made with was not recorded (a run directory from an older judgekit)' : 'the fine-tuning recipe, the dataset or the backend changed'}: fine-tuning it afresh`);
      await rm(dir, { recursive: true, force: true });
    }
    await writeJsonAtomic(study.store.path('finetune', model.name, FINETUNE_BASE_FILE), { checkpoint: model.checkpoint as string, content, run } satisfies FinetuneBase);
    const request: FinetuneRequest = {
      model: { path: model.checkpoint as string, name: model.name, ...(model.config ? { configPath: model.config } : {}) },
      records: dataset.records,
      ...(config.dataset?.split ? { split: config.dataset.split } : {}),
      runDir: study.store.dir,
      name: model.name,
      recipe: config.finetune ?? {},
      ...(config.dataset?.template !== undefined ? { template: config.dataset.template } : {}),
      ...(study.device ? { device: study.device } : {}),
      options: model.backendOptions,
      log: (line: string) => context.log(`finetune ${model.name}: ${line}`),
      ...(study.output.progress !== undefined ? { progress: study.output.progress } : {}),
      ...(context.signal ? { signal: context.signal } : {}),
    };
    const outcome = (await study.remote?.finetune?.(model, request)) ?? (await backend.finetune(request));
    await writeJsonAtomic(study.store.path('finetune', model.name, FINETUNE_OUTCOME_FILE), outcome);
    context.log(`finetune ${model.name}: best epoch ${outcome.bestEpoch} of ${outcome.epochs}${outcome.stoppedEarly ? ' (stopped early)' : ''}`);
    return outcome;
  }
}

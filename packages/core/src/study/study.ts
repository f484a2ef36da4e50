// A study resolved against the loaded plugins: its models (each with the backend that loads it), its dataset,
// judges and run directory. Stages read everything they need from here; nothing in it is CLI-specific.
import { resolve } from 'node:path';
import type { Device, ModelBackend } from '../contracts/model-backend.js';
import type { LoadedStudyConfig } from '../config/study-config.js';
import { JudgekitError } from '../errors.js';
import { assertPathSafeName } from '../util/safe-name.js';
import type { ContributionRegistry } from '../plugins/contribution-registry.js';
import type { RunStore } from '../run/run-store.js';
import type { StudyDatasetSource } from './study-dataset.js';
import type { StudyJudge } from './judge-assembly.js';
import type { StudyRemoteWork } from './study-remote.js';

/** The backend a model uses when its config names none. */
const DEFAULT_BACKEND = 'onnxruntime';

export interface StudyModel {
  name: string;
  /** Backend id and the options validated against its schema. */
  backend: string;
  backendOptions: Record<string, unknown>;
  checkpoint?: string;
  config?: string;
  answers?: string;
  /** The field of `answers` read as this model's answer (a file with several models' answers). */
  response?: string;
}

export interface StudyOutput {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Progress lines on stderr (default: TTY outside CI). */
  progress?: boolean;
}

export interface Study {
  loaded: LoadedStudyConfig;
  registry: ContributionRegistry;
  store: RunStore;
  models: StudyModel[];
  dataset: StudyDatasetSource;
  judges: StudyJudge[];
  device?: Device;
  output: StudyOutput;
  /** Where loss, fine-tuning, generation and judging run when not here (`judgekit run --queue`); absent: all in process. */
  remote?: StudyRemoteWork;
}

export function resolveStudyPath(loaded: LoadedStudyConfig, path: string): string {
  return resolve(loaded.baseDir, path);
}

/** The config's models, paths resolved and each backend id and options checked against the registry. */
export function resolveStudyModels(loaded: LoadedStudyConfig, registry: ContributionRegistry): StudyModel[] {
  const models = loaded.config.models ?? [];
  if (models.length === 0) throw new JudgekitError('config', `${loaded.file}: "models" must name at least one model.`);
  return models.map((model, index) => {
    const at = { file: loaded.file, path: `models[${index}]` };
    if (!model.checkpoint && !model.answers) throw new JudgekitError('config', `${loaded.file}: models[${index}] ("${model.name}") needs a "checkpoint" or an "answers" file.`);
    assertPathSafeName(model.name, `${loaded.file}: models[${index}].name`);
    if (model.response !== undefined && !model.answers) throw new JudgekitError('config', `${loaded.file}: models[${index}].response ("${model.response}") names a field of an answer file, but the model has no "answers" file.`);
    const backend = model.backend ?? DEFAULT_BACKEND;
    // Models given only as answer files never load a backend, but a named one must still exist.
    const { options } = model.checkpoint || model.backend ? registry.resolve('backend', backend, model.options, at) : { options: {} };
    return {
      name: model.name,
      backend,
      backendOptions: options,
      ...(model.checkpoint ? { checkpoint: resolveStudyPath(loaded, model.checkpoint) } : {}),
      ...(model.config ? { config: resolveStudyPath(loaded, model.config) } : {}),
      ...(model.answers ? { answers: resolveStudyPath(loaded, model.answers) } : {}),
      ...(model.response !== undefined ? { response: model.response } : {}),
    };
  });
}

export function modelBackend(study: Study, model: StudyModel): ModelBackend {
  const index = study.models.indexOf(model);
  return study.registry.get('backend', model.backend, { file: study.loaded.file, path: `models[${index}]` });
}

/** Where a model's answers are: given in the config, or generated into the run directory. */
export function answerPath(study: Study, model: StudyModel): string {
  return model.answers ?? study.store.answerFile(model.name);
}

/**
 * Models the study fine-tunes and generates answers for: a checkpoint and no answer file. A study with neither a
 * dataset nor judges needs no answers (test loss only), so it runs none.
 */
export function modelsToRun(study: Study): StudyModel[] {
  if (!study.loaded.config.dataset && study.judges.length === 0) return [];
  return study.models.filter((model) => model.checkpoint && !model.answers);
}

// A whole study as a library call: resolve the config against the container's contributions, plan the stages
// in order, run them over the run directory (each resumable), and record the run. `judgekit run` is a thin
// shell around this; scripts call it, or compose the stages themselves.
import type { Container } from 'inversify';
import type { Device } from '../contracts/model-backend.js';
import type { LoadedStudyConfig } from '../config/study-config.js';
import { contributionRegistry } from '../config/plugin-loader.js';
import { Pipeline, type PipelineOutcome } from '../pipeline/pipeline.js';
import { RunStore } from '../run/run-store.js';
import { sweepStaleTemporaries } from '../util/atomic-write.js';
import { assembleStudyJudges } from './judge-assembly.js';
import { StudyDatasetSource } from './study-dataset.js';
import { DEFAULT_REPORTERS } from './stages/report-stage.js';
import { resolveStudyModels, type Study, type StudyOutput } from './study.js';
import type { StudyRemoteWork } from './study-remote.js';

export interface StudyOptions {
  runDir: string;
  /** Judge-call cache. */
  cacheDir: string;
  device?: Device;
  env?: NodeJS.ProcessEnv;
  output: StudyOutput;
  /** Send the stages' work elsewhere (`judgekit run --queue`); see StudyRemoteWork. */
  remote?: StudyRemoteWork;
}

/** Checks every id and option the config names before anything runs, so a typo fails in a second, not an hour. */
export function createStudy(container: Container, loaded: LoadedStudyConfig, options: StudyOptions): Study {
  const registry = contributionRegistry(container);
  const models = resolveStudyModels(loaded, registry);
  const judges = assembleStudyJudges(loaded.config.judges ?? [], { registry, env: options.env ?? process.env, cacheDir: options.cacheDir, file: loaded.file });
  (loaded.config.reporters ?? DEFAULT_REPORTERS).forEach((config, index) => {
    const [id, given] = typeof config === 'string' ? [config, undefined] : [config.id, config.options];
    registry.resolve('reporter', id, given, { file: loaded.file, path: `reporters[${index}]` });
  });
  return {
    loaded,
    registry,
    store: new RunStore(options.runDir),
    models,
    dataset: new StudyDatasetSource(loaded, registry),
    judges,
    ...(options.device ? { device: options.device } : {}),
    output: options.output,
    ...(options.remote ? { remote: options.remote } : {}),
  };
}

/** The pipeline of a study: every StudyStage contribution's stages, by `order`. */
export function planStudy(study: Study): Pipeline {
  const contributions = study.registry.list('stage').map((entry) => entry.value);
  const ordered = [...contributions].sort((a, b) => a.order - b.order);
  return new Pipeline(ordered.flatMap((stage) => stage.plan(study)));
}

export interface StudyRunOptions {
  log?: (message: string) => void;
  signal?: AbortSignal;
  /** What `run.json` records besides the outcome (tool versions, the command). */
  record?: Record<string, unknown>;
}

export async function runStudy(study: Study, options: StudyRunOptions = {}): Promise<PipelineOutcome> {
  const started = new Date();
  await study.store.ensure();
  // Temporary files of writes a killed run never finished (multi-GB training resume states among them).
  const swept = await sweepStaleTemporaries(study.store.dir);
  if (swept.length > 0) options.log?.(`removed ${swept.length} temporary file${swept.length === 1 ? '' : 's'} left by an interrupted run`);
  // run.log gets every line in order; a failed append never fails the study.
  let written: Promise<void> = Promise.resolve();
  const log = (message: string): void => {
    options.log?.(message);
    written = written.then(() => study.store.log(message)).catch(() => undefined);
  };
  let outcome: PipelineOutcome;
  try {
    outcome = await planStudy(study).run(study.store.dir, { log, ...(options.signal ? { signal: options.signal } : {}) });
  } catch (error) {
    log(`failed: ${String((error as Error)?.message ?? error).split('\n')[0]}`);
    throw error;
  } finally {
    await written;
  }
  if (outcome.ran.length > 0) {
    await study.store.writeRunRecord({
      ...options.record,
      config: study.loaded.config,
      configFile: study.loaded.file,
      startedAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
      stagesRun: outcome.ran,
      stagesSkipped: outcome.skipped,
    });
  }
  return outcome;
}

// `finetune(options)`: fine-tune a checkpoint on Alpaca records with the study's recipe and write the run's
// files under `<outDir>/finetune/<model>/`: model.safetensors (same naming as the input) + config.json,
// epochs.jsonl (per-epoch losses), resume.safetensors (weights, AdamW moments, step, epoch, checksummed: written
// atomically at each epoch end, so an interrupted run continues from the last completed epoch; removed once the run
// has finished) and result.json.
import { readFile, rm } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import {
  canonicalHash,
  fileContentSha256,
  JsonlLog,
  assertPathSafeName,
  sweepStaleTemporaries,
  JudgekitError,
  pathExists,
  splitDataset,
  writeJsonAtomic,
  type AlpacaRecord,
  type PromptTemplateRef,
  type SplitOptions,
} from '@judgekit/core';
import type { ModelDimensions } from '../architectures/architecture.js';
import { specialTokensOf, tokenizerOf } from '../architectures/index.js';
import type { AdamWConfig } from './adamw.js';
import { Gpt2Trainer, type AdamWState, type TrainingDevice } from './gpt2-trainer.js';
import { encodeExamples, type EncodedExample } from './instruction-batches.js';
import { formatEpochReport, STUDY_RECIPE, trainEpochs, type EpochReport, type FinetuneRecipe, type ResumePoint, type TrainingStepInfo } from './instruction-finetune.js';
import { elementCount, type ModelParameters } from './model-parameters.js';
import { readResumeState, writeResumeState } from './resume-state.js';
import { checkpointConfigJson, loadTrainingCheckpoint, saveTrainingCheckpoint } from './training-checkpoint.js';
import { copyTokenizerFiles } from './copy-tokenizer-files.js';
import { assertTrainingMemoryFits, availableMemoryBytes, describeTrainingMemory, estimateTrainingMemory, formatGb } from './training-memory.js';

export const FINETUNE_FILES = {
  model: 'model.safetensors',
  config: 'config.json',
  epochs: 'epochs.jsonl',
  resume: 'resume.safetensors',
  result: 'result.json',
} as const;

export interface FinetuneOptions {
  /** A safetensors checkpoint (GPT-2: HF or book naming) with its JSON config beside it (or `configPath`). */
  checkpoint: string;
  configPath?: string;
  /** All records; split with the book's 85/10/5 rule (train, test, validation) unless `split` says otherwise. */
  records: readonly AlpacaRecord[];
  split?: SplitOptions;
  /** Run directory: files go to `<outDir>/finetune/<name>/`. */
  outDir: string;
  /** Model name for the folder; default the checkpoint's file stem (or its folder's name for `model.safetensors`). */
  name?: string;
  recipe?: Partial<FinetuneRecipe>;
  template?: PromptTemplateRef;
  device?: TrainingDevice;
  threads?: number;
  /** Use only the first N training and N validation examples (quick runs). */
  limit?: number;
  /** Continue an interrupted run from its resume state (default true). */
  resume?: boolean;
  /** Token encoder; default the model architecture's tokenizer. */
  encode?: (text: string) => number[];
  log?: (line: string) => void;
  onStep?: (info: TrainingStepInfo) => void;
  progress?: boolean | NodeJS.WriteStream;
  signal?: AbortSignal;
  /** Memory the run may use, in bytes; default what the machine has available (see `availableMemoryBytes`). */
  availableMemoryBytes?: number;
  /** Refuse to start when the estimated memory is not available (default true); false only logs the estimate. */
  checkMemory?: boolean;
}

export interface FinetuneResult {
  name: string;
  dir: string;
  modelPath: string;
  configPath: string;
  epochs: EpochReport[];
  bestEpoch: number;
  stoppedEarly: boolean;
  resumedFromEpoch: number;
  shape: ModelDimensions;
  /** The checkpoint naming the model was read and written in (GPT-2: `hf` or `book`). */
  naming: string;
}

function finetuneModelName(checkpoint: string): string {
  const stem = basename(checkpoint, extname(checkpoint));
  return stem === 'model' || stem === 'pytorch_model' ? basename(dirname(checkpoint)) || stem : stem;
}

/** Everything that must match for a resume state to belong to this run. */
function runFingerprint(shape: ModelDimensions, recipe: FinetuneRecipe, checkpointSha256: string, train: readonly EncodedExample[], validation: readonly EncodedExample[]): string {
  // The stopping rule is left out so an unfinished run can go on with another number of epochs (and a finished one
  // is told apart from another run: result.json's fingerprint).
  const { stopping: _stopping, ...rest } = recipe;
  return canonicalHash({ shape, recipe: rest, checkpoint: checkpointSha256, train: train.map((e) => [e.ids, e.promptLength]), validation: validation.map((e) => e.ids) });
}

/**
 * The study's recipe with `partial` laid over it. `optimizer.learningRate` is read as an alias of `lr` (the study
 * config's name for it).
 */
function resolveRecipe(partial: Partial<FinetuneRecipe> = {}): FinetuneRecipe {
  const { learningRate, ...optimizer } = (partial.optimizer ?? {}) as Partial<AdamWConfig> & { learningRate?: number };
  return {
    ...STUDY_RECIPE,
    ...partial,
    optimizer: { ...STUDY_RECIPE.optimizer, ...(learningRate !== undefined ? { lr: learningRate } : {}), ...optimizer },
  };
}

/** Fine-tune a checkpoint; see the file comment for what is written where. */
export async function finetune(options: FinetuneOptions): Promise<FinetuneResult> {
  const log = options.log ?? (() => undefined);
  const name = options.name ?? finetuneModelName(options.checkpoint);
  assertPathSafeName(name, options.name === undefined ? `${options.checkpoint}: model name` : 'model name');
  const dir = join(options.outDir, 'finetune', name);
  // A killed run's half-written resume state (1.5 GB for GPT-2 small) is not left to pile up.
  const swept = await sweepStaleTemporaries(dir);
  if (swept.length > 0) log(`removed ${swept.length} temporary file${swept.length === 1 ? '' : 's'} left by an interrupted run`);
  const checkpoint = await loadTrainingCheckpoint(options.checkpoint, options.configPath ? { configPath: options.configPath } : {});
  const { architecture } = checkpoint;
  // The pad token is part of the recipe (and of the run's fingerprint), as the model's architecture gives it.
  const recipe = { ...resolveRecipe(options.recipe), padTokenId: options.recipe?.padTokenId ?? specialTokensOf(architecture, checkpoint.shape).pad };
  const specs = architecture.training.parameterSpecs(checkpoint.shape);
  const tokenizer = await tokenizerOf(architecture, { path: options.checkpoint, config: checkpoint.shape });
  const encode = options.encode ?? ((text: string) => tokenizer.encode(text));
  const splits = splitDataset(options.records, options.split ?? {});
  const limit = options.limit;
  const trainRecords = limit ? splits.train.slice(0, limit) : splits.train;
  const validationRecords = limit ? splits.validation.slice(0, limit) : splits.validation;
  const train = encodeExamples(trainRecords, encode, options.template);
  const validation = encodeExamples(validationRecords, encode, options.template);
  // The base weights by content: a checkpoint overwritten in place is a different run, a moved one is not.
  const fingerprint = runFingerprint(checkpoint.shape, recipe, await fileContentSha256(options.checkpoint), train, validation);
  const paths = { model: join(dir, FINETUNE_FILES.model), config: join(dir, FINETUNE_FILES.config), resume: join(dir, FINETUNE_FILES.resume), result: join(dir, FINETUNE_FILES.result) };
  const epochLog = new JsonlLog<EpochReport>(join(dir, FINETUNE_FILES.epochs));

  let parameters = checkpoint.parameters;
  let optimizerState: AdamWState | undefined;
  let resume: ResumePoint | undefined;
  const differentRun = (file: string) =>
    new JudgekitError('run-store', `${file} belongs to a different run (checkpoint, data or recipe changed): run again with --fresh (or delete ${dir}) to start over, or choose another --out.`, { file });
  const maxEpochs = recipe.stopping.kind === 'fixed' ? recipe.stopping.epochs : recipe.stopping.maxEpochs;
  if (options.resume !== false && !(await pathExists(paths.resume))) {
    // A finished run has no resume state (removed once result.json is written): result.json says it is done.
    const ended = await readResult(paths.result);
    if (ended && ended.fingerprint !== fingerprint) throw differentRun(paths.result);
    if (ended && (await pathExists(paths.model))) {
      const last = ended.epochs.filter((e) => !e.stopped).at(-1)?.epoch ?? 0;
      if (!ended.stoppedEarly && last < maxEpochs) {
        throw new JudgekitError(
          'run-store',
          `${paths.result}: this run finished after ${last} epoch${last === 1 ? '' : 's'} and its resume state was removed, so it cannot go on to ${maxEpochs}: run again with --fresh (or delete ${dir}) to train from the start, or choose another --out.`,
          { file: paths.result },
        );
      }
      log(`${name} already finished (epoch ${ended.bestEpoch} kept): nothing to do`);
      return { name, dir, modelPath: paths.model, configPath: paths.config, epochs: ended.epochs, bestEpoch: ended.bestEpoch, stoppedEarly: ended.stoppedEarly, resumedFromEpoch: last, shape: checkpoint.shape, naming: checkpoint.naming };
    }
  }
  if (options.resume !== false && (await pathExists(paths.resume))) {
    const saved = await readResumeState(paths.resume, specs);
    if (!saved.verified) log(`${paths.resume} was written by an older judgekit without a checksum: resuming from it unverified`);
    if (saved.meta.fingerprint !== fingerprint) throw differentRun(paths.resume);
    parameters = saved.params;
    optimizerState = saved.state;
    // result.json (written when a run ends) also records an early-stopped epoch, which the resume state does not.
    const ended = await readResult(paths.result);
    const epochs = ended?.fingerprint === fingerprint ? ended.epochs : saved.meta.epochs;
    resume = { epoch: saved.meta.epoch, epochs, finished: epochs.some((e) => e.stopped) || saved.meta.epoch >= maxEpochs };
    log(`resuming ${name} after epoch ${saved.meta.epoch} (step ${saved.meta.step})${resume.finished ? ': already finished' : ''}`);
  }
  if (!resume) {
    // A fresh start: drop what an earlier run left, so epochs.jsonl and result.json describe this run only.
    await Promise.all([paths.resume, paths.result, epochLog.path].map((path) => rm(path, { force: true })));
  }
  const history: EpochReport[] = [...(resume?.epochs.filter((e) => !e.stopped) ?? [])];
  log(
    `fine-tuning ${name}: ${train.length} training / ${validation.length} validation examples, batch ${recipe.batchSize}` +
      `${recipe.gradientAccumulation > 1 ? ` x ${recipe.gradientAccumulation} accumulated` : ''}, lr ${recipe.optimizer.lr}, ` +
      (recipe.stopping.kind === 'fixed' ? `${recipe.stopping.epochs} epochs` : `early stopping (max ${recipe.stopping.maxEpochs} epochs)`),
  );
  // What the run needs, said before the sessions are made, and refused when the machine does not have it (GPT-2
  // XL on a 24 GiB machine): the weights, gradients and AdamW moments plus the activations of the longest
  // batch the run will see.
  let longest = 1;
  for (const example of [...train, ...validation]) longest = Math.max(longest, example.ids.length);
  const memory = estimateTrainingMemory({
    shape: checkpoint.shape,
    parameters: specs.reduce((sum, spec) => sum + elementCount(spec.shape), 0),
    batchSize: recipe.batchSize,
    seq: Math.min(longest, recipe.maxLength ?? checkpoint.shape.contextLength),
    gradientAccumulation: recipe.gradientAccumulation,
    // Early stopping reads the best epoch back from the checkpoint written when it was accepted (see
    // readAcceptedWeights below), so no second copy of the weights is held in memory.
    earlyStopping: false,
  });
  const available = options.availableMemoryBytes ?? availableMemoryBytes();
  log(`memory: fine-tuning ${name} needs ${describeTrainingMemory(memory)}; ${formatGb(available)} available`);
  if (options.checkMemory !== false) assertTrainingMemoryFits(memory, available, `fine-tuning ${name}`);
  const trainer = await Gpt2Trainer.create({
    shape: checkpoint.shape,
    architecture,
    parameters,
    optimizer: recipe.optimizer,
    device: options.device ?? 'cpu',
    ...(options.threads ? { threads: options.threads } : {}),
    ...(optimizerState ? { optimizerState } : {}),
  });
  const configJson = await checkpointConfigJson(checkpoint);
  try {
    const result = await trainEpochs({
      trainer,
      train,
      validation,
      recipe,
      ...(resume ? { resume } : {}),
      ...(options.onStep ? { onStep: options.onStep } : {}),
      ...(options.progress !== undefined ? { progress: options.progress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      // The last accepted epoch's weights are in paths.model (written below when it was accepted, and by the run
      // being resumed): early stopping restores from there instead of keeping a copy in memory.
      readAcceptedWeights: async (epoch) => {
        const saved = await loadTrainingCheckpoint(paths.model, { configPath: paths.config });
        if (saved.sourceMetadata.judgekit_epoch !== String(epoch)) {
          throw new JudgekitError('run-store', `${paths.model} holds epoch ${saved.sourceMetadata.judgekit_epoch ?? '(none)'}, not the last accepted epoch ${epoch} that early stopping restores: run again with --fresh.`, { location: paths.model });
        }
        return saved.parameters;
      },
      onEpochAccepted: async (report, live, finished) => {
        log(formatEpochReport(report));
        await epochLog.append(`epoch/${report.epoch}`, report);
        await saveTrainingCheckpoint(paths.model, checkpoint, live.parameters, { judgekit_epoch: String(report.epoch) });
        await writeJsonAtomic(paths.config, configJson);
        await copyTokenizerFiles(options.checkpoint, dir);
        history.push(report);
        const meta = { fingerprint, epoch: report.epoch, step: live.step, finished, epochs: [...history] };
        await writeResumeState(paths.resume, live.parameters, live.optimizerState({ copy: false }), specs, meta);
      },
      onEpochRejected: async (report) => {
        log(formatEpochReport(report));
        await epochLog.append(`epoch/${report.epoch}`, report);
      },
    });
    const output: FinetuneResult = {
      name,
      dir,
      modelPath: paths.model,
      configPath: paths.config,
      epochs: result.epochs,
      bestEpoch: result.bestEpoch,
      stoppedEarly: result.stoppedEarly,
      resumedFromEpoch: resume?.epoch ?? 0,
      shape: checkpoint.shape,
      naming: checkpoint.naming,
    };
    await writeJsonAtomic(paths.result, { fingerprint, ...output, recipe });
    // The run is finished and result.json (with the fingerprint) says so: the resume state (weights and two AdamW
    // moments, 3x the model) is no longer needed. A kill before this line leaves it, and a rerun reuses it.
    await rm(paths.resume, { force: true });
    return output;
  } finally {
    await trainer.dispose();
  }
}

async function readResult(path: string): Promise<{ fingerprint: string; epochs: EpochReport[]; bestEpoch: number; stoppedEarly: boolean } | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as { fingerprint: string; epochs: EpochReport[]; bestEpoch: number; stoppedEarly: boolean };
  } catch {
    return undefined;
  }
}

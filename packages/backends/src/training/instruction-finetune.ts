// Instruction fine-tuning, epoch by epoch: the book's batches and AdamW, validation loss after every epoch, the
// study's early stopping (stop when validation loss rises, restore a real copy of the previous epoch's weights)
// or a fixed number of epochs, and an atomic resume state at every epoch end.
import { formatDuration, formatProgress, JudgekitError } from '@judgekit/core';
import { BOOK_ADAMW, type AdamWConfig } from './adamw.js';
import type { Gpt2Trainer } from './gpt2-trainer.js';
import { collateInstructionBatch, epochOrder, evaluationBatches, fullBatches, type CollateOptions, type EncodedExample } from './instruction-batches.js';
import { cloneParameters, type ModelParameters } from './model-parameters.js';
import { specialTokensOf } from '../architectures/index.js';

export interface FinetuneRecipe {
  /** Examples per micro-batch (the book: 8). */
  batchSize: number;
  /** Micro-batches per optimizer step (1 = the book). The effective batch is batchSize x gradientAccumulation. */
  gradientAccumulation: number;
  /** `fixed`: train exactly `epochs` (the book: 2). `early`: the study's rule, up to `maxEpochs`. */
  stopping: { kind: 'fixed'; epochs: number } | { kind: 'early'; maxEpochs: number };
  /** Ignore targets that predict prompt tokens (a known variant; the book does not). */
  maskPrompt: boolean;
  /** Seeds the per-epoch shuffle of training examples. */
  seed: number;
  optimizer: AdamWConfig;
  /** Validation batch size (the book: 8, in order, last partial batch kept). */
  evalBatchSize: number;
  /** Pad token; default the model architecture's (GPT-2's end-of-text). */
  padTokenId?: number;
  /** Truncation length; default the model's context length. */
  maxLength?: number;
}

/** The study's recipe: the book's batches and AdamW, early stopping up to 100 epochs. */
export const STUDY_RECIPE: Readonly<FinetuneRecipe> = Object.freeze<FinetuneRecipe>({
  batchSize: 8,
  gradientAccumulation: 1,
  stopping: { kind: 'early', maxEpochs: 100 },
  maskPrompt: false,
  seed: 123,
  optimizer: BOOK_ADAMW,
  evalBatchSize: 8,
});

/** The book's recipe: two epochs. */
export const BOOK_RECIPE: Readonly<FinetuneRecipe> = Object.freeze<FinetuneRecipe>({ ...STUDY_RECIPE, stopping: { kind: 'fixed', epochs: 2 } });

export interface EpochReport {
  epoch: number;
  /** Mean of the epoch's training batch losses (each a mean over its tokens). */
  trainLoss: number;
  /** Mean of the validation batch losses after the epoch (the book's calc_loss_loader). */
  validationLoss: number;
  /** Optimizer steps taken so far (all epochs). */
  steps: number;
  /** Training tokens (batch x padded length) processed this epoch. */
  tokens: number;
  seconds: number;
  /** Validation loss rose: training stopped and the previous epoch's weights were restored. */
  stopped: boolean;
}

export interface TrainingStepInfo {
  epoch: number;
  batch: number;
  batches: number;
  loss: number;
  tokensPerSecond: number;
}

/** Where an interrupted run picks up: the state written at the end of the last accepted epoch. */
export interface ResumePoint {
  /** Last completed (and accepted) epoch. */
  epoch: number;
  epochs: EpochReport[];
  /** True when training already finished (early stop or the last epoch): nothing left to do. */
  finished: boolean;
}

export interface TrainEpochsOptions {
  trainer: Gpt2Trainer;
  train: readonly EncodedExample[];
  validation: readonly EncodedExample[];
  recipe: FinetuneRecipe;
  /** Continue after this point (the trainer must already hold that epoch's weights and optimizer state). */
  resume?: ResumePoint;
  /**
   * Called after every accepted epoch with the trainer holding that epoch's weights (save the model and the
   * resume state here); `finished` says whether training ends with it.
   */
  onEpochAccepted?: (report: EpochReport, trainer: Gpt2Trainer, finished: boolean) => Promise<void>;
  /** Called once for an early-stopped epoch (its weights are NOT kept; the trainer already holds the restored ones). */
  onEpochRejected?: (report: EpochReport) => Promise<void>;
  onStep?: (info: TrainingStepInfo) => void;
  /**
   * Reads back the weights of the last accepted epoch (e.g. from the checkpoint `onEpochAccepted` wrote). With it,
   * early stopping keeps no copy of the weights in memory (one model's size less during training: 0.5 GB for GPT-2
   * small) and restores from here when validation loss rises; without it, a copy is kept after every accepted epoch.
   */
  readAcceptedWeights?: (epoch: number) => Promise<ModelParameters>;
  /** Draw a progress line (step, loss, tokens/s, ETA) on this stream; default: stderr when it is a TTY outside CI. */
  progress?: boolean | NodeJS.WriteStream;
  signal?: AbortSignal;
}

export interface TrainEpochsResult {
  epochs: EpochReport[];
  /** The epoch whose weights the trainer holds at the end. */
  bestEpoch: number;
  stoppedEarly: boolean;
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

function checkRecipe(recipe: FinetuneRecipe, trainCount: number, validationCount: number): void {
  const positive = (value: number, name: string): void => {
    if (!Number.isInteger(value) || value < 1) throw new JudgekitError('config', `Fine-tuning: \`${name}\` must be a positive integer, got ${String(value)}.`, { location: name });
  };
  positive(recipe.batchSize, 'batchSize');
  positive(recipe.gradientAccumulation, 'gradientAccumulation');
  positive(recipe.evalBatchSize, 'evalBatchSize');
  positive(recipe.stopping.kind === 'fixed' ? recipe.stopping.epochs : recipe.stopping.maxEpochs, recipe.stopping.kind === 'fixed' ? 'epochs' : 'maxEpochs');
  if (trainCount < recipe.batchSize) {
    throw new JudgekitError('dataset', `Only ${trainCount} training examples, fewer than one batch of ${recipe.batchSize} (the last partial batch is dropped): use more data or a smaller --batch-size.`);
  }
  if (validationCount === 0 && recipe.stopping.kind === 'early') {
    throw new JudgekitError('dataset', 'Early stopping needs a validation split, and it is empty: use more data or a fixed --epochs.');
  }
}

/** How the recipe collates batches for this trainer: its pad token (default the architecture's) and context length. */
function collateOptions(trainer: Gpt2Trainer, recipe: FinetuneRecipe): CollateOptions {
  return {
    padTokenId: recipe.padTokenId ?? specialTokensOf(trainer.architecture, trainer.shape).pad,
    maxLength: recipe.maxLength ?? trainer.shape.contextLength,
    maskPrompt: recipe.maskPrompt,
  };
}

/** Mean validation loss (mean of batch means) over examples, in order. */
export async function validationLoss(trainer: Gpt2Trainer, examples: readonly EncodedExample[], recipe: FinetuneRecipe): Promise<number> {
  const losses: number[] = [];
  const collate = collateOptions(trainer, recipe);
  for (const indices of evaluationBatches(examples.length, recipe.evalBatchSize)) {
    const batch = collateInstructionBatch(indices.map((i) => examples[i] as EncodedExample), collate);
    const { loss, tokens } = await trainer.evaluate(batch);
    if (tokens > 0) losses.push(loss);
  }
  return mean(losses);
}

/** Train epoch by epoch with the recipe; the trainer ends holding the kept (best, or last) epoch's weights. */
export async function trainEpochs(options: TrainEpochsOptions): Promise<TrainEpochsResult> {
  const { trainer, train, validation, recipe } = options;
  checkRecipe(recipe, train.length, validation.length);
  const epochs = [...(options.resume?.epochs ?? [])];
  if (options.resume?.finished) {
    const last = epochs.at(-1);
    return { epochs, bestEpoch: epochs.filter((e) => !e.stopped).at(-1)?.epoch ?? 0, stoppedEarly: Boolean(last?.stopped) };
  }
  const maxEpochs = recipe.stopping.kind === 'fixed' ? recipe.stopping.epochs : recipe.stopping.maxEpochs;
  const collate = collateOptions(trainer, recipe);
  // `true` forces the line on stderr; a stream (or the default, stderr) gets it only when it is a TTY outside CI.
  const stream = options.progress === false ? undefined : options.progress === true || options.progress === undefined ? process.stderr : options.progress;
  const drawProgress = options.progress === true || Boolean(stream?.isTTY && !process.env.CI);
  // The study's rule compares with the previous epoch and restores its weights, so keep a real copy of them (or
  // read them back from where the caller saved them).
  let previous: { epoch: number; validationLoss: number; weights: ModelParameters | undefined } | undefined;
  const snapshot = (): ModelParameters | undefined => (options.readAcceptedWeights ? undefined : cloneParameters(trainer.parameters));
  const startEpoch = options.resume?.epoch ?? 0;
  const lastAccepted = epochs.filter((e) => !e.stopped).at(-1);
  if (lastAccepted) previous = { epoch: lastAccepted.epoch, validationLoss: lastAccepted.validationLoss, weights: snapshot() };
  const perStep = recipe.gradientAccumulation;

  for (let epoch = startEpoch + 1; epoch <= maxEpochs; epoch++) {
    const started = Date.now();
    const batches = fullBatches(epochOrder(train.length, recipe.seed, epoch), recipe.batchSize);
    const losses: number[] = [];
    let tokens = 0;
    for (let b = 0; b < batches.length; b++) {
      if (options.signal?.aborted) throw new JudgekitError('internal', 'Fine-tuning interrupted; run again to resume from the last completed epoch.');
      const batch = collateInstructionBatch((batches[b] as number[]).map((i) => train[i] as EncodedExample), collate);
      const { loss } = await trainer.accumulateGradients(batch);
      // A diverged step never reaches the weights: the last accepted epoch stays what a resume starts from.
      if (!Number.isFinite(loss)) throw diverged('training', loss, epoch, `batch ${b + 1} of ${batches.length}, step ${trainer.step + 1}`, epochs);
      if ((b + 1) % perStep === 0 || b === batches.length - 1) await trainer.applyGradients();
      losses.push(loss);
      tokens += batch.batch * batch.seq;
      const elapsed = Date.now() - started;
      const tokensPerSecond = elapsed > 0 ? (tokens * 1000) / elapsed : 0;
      options.onStep?.({ epoch, batch: b + 1, batches: batches.length, loss, tokensPerSecond });
      if (drawProgress && stream) {
        const label = `epoch ${epoch}/${maxEpochs} loss ${loss.toFixed(3)} ${tokensPerSecond.toFixed(0)} tok/s`;
        stream.write(`\r\x1b[2K${formatProgress(label, b + 1, batches.length, elapsed, 'batches')}`);
      }
    }
    if (drawProgress && stream) stream.write('\n');
    const report: EpochReport = {
      epoch,
      trainLoss: mean(losses),
      validationLoss: validation.length > 0 ? await validationLoss(trainer, validation, recipe) : Number.NaN,
      steps: trainer.step,
      tokens,
      seconds: (Date.now() - started) / 1000,
      stopped: false,
    };
    if (validation.length > 0 && !Number.isFinite(report.validationLoss)) throw diverged('validation', report.validationLoss, epoch, `after step ${trainer.step}`, epochs);
    if (recipe.stopping.kind === 'early' && previous && report.validationLoss > previous.validationLoss) {
      report.stopped = true;
      epochs.push(report);
      trainer.setParameters(previous.weights ?? (await (options.readAcceptedWeights as (epoch: number) => Promise<ModelParameters>)(previous.epoch)));
      await options.onEpochRejected?.(report);
      return { epochs, bestEpoch: previous.epoch, stoppedEarly: true };
    }
    epochs.push(report);
    const finished = epoch === maxEpochs;
    if (recipe.stopping.kind === 'early' && !finished) previous = { epoch, validationLoss: report.validationLoss, weights: snapshot() };
    await options.onEpochAccepted?.(report, trainer, finished);
  }
  return { epochs, bestEpoch: epochs.at(-1)?.epoch ?? 0, stoppedEarly: false };
}

/** A NaN or infinite loss: the run stops, naming where, and keeps the last accepted epoch. */
function diverged(which: 'training' | 'validation', loss: number, epoch: number, where: string, accepted: readonly EpochReport[]): JudgekitError {
  const kept = accepted.filter((e) => !e.stopped).at(-1);
  const keep = kept ? `the weights of epoch ${kept.epoch} stay the last accepted ones` : 'no epoch was accepted';
  return new JudgekitError('model', `fine-tuning diverged: ${which} loss is ${loss} in epoch ${epoch} (${where}); ${keep}. Lower the learning rate and run again (a changed recipe starts afresh).`, { location: `epoch ${epoch}` });
}

/** One line per epoch for logs. */
export function formatEpochReport(report: EpochReport): string {
  const stop = report.stopped ? ' (validation loss rose: stopped, previous epoch restored)' : '';
  return `epoch ${report.epoch}: train loss ${report.trainLoss.toFixed(4)}, validation loss ${report.validationLoss.toFixed(4)}, ${report.steps} steps, ${formatDuration(report.seconds)}${stop}`;
}

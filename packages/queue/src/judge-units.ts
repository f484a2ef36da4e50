// The unit protocol of `judgekit judge --queue`: what a unit of judging is (a judge's settings, the answer files by
// path and checksum, one repeat and a range of items), its deterministic job id, and the items' judge inputs.
import { canonicalHash, formatAlpacaPrompt, type JudgeItemInput, type JudgeItemResult, type JudgeSettings, type ModelAnswers } from '@judgekit/core';
import type { SharedFile } from './shared-files.js';
import type { UnitSpend } from './unit-spend.js';

export const JUDGE_UNIT_VERSION = 1;

/** What a worker needs to build the judge exactly as `judgekit judge` does: serialisable, never a secret. */
export interface JudgeSpec {
  /** The judge's name in the run. */
  name: string;
  /** The settings `judgekit judge` passes to assembleJudge (API keys come from the worker's environment). */
  settings: JudgeSettings;
  /** Plugin modules to load, and the directory relative paths among them are resolved from. */
  plugins: string[];
  pluginBaseDir: string;
  /** The judge-call cache: shared storage, so a redelivered unit answers from it instead of paying again. */
  cacheDir: string;
}

export interface JudgeUnitData {
  kind: 'judge';
  version: number;
  /** The coordinator's run directory (part of the job id; workers do not write to it). */
  runDir: string;
  judge: JudgeSpec;
  /** Alpaca prompt template name the models were given. */
  template: string;
  /** Answer files, read by path (or downloaded by URL) on the worker and checked against these checksums. */
  answerFiles: SharedFile[];
  /** Model names in order, as the coordinator loaded them from the answer files. */
  models: string[];
  repeat: number;
  /** Item indices of this unit (ascending). */
  indices: number[];
}

export interface JudgeUnitResult {
  /** One per index of the unit, in its order. */
  results: JudgeItemResult[];
  /** Which worker made it (host and pid), for logs. */
  worker: string;
  /** What its calls cost on this delivery (0 requests where the shared cache answered them); absent from older workers. */
  spend?: UnitSpend;
}

/**
 * The job id: a content fingerprint of everything the unit's judgments depend on (judge settings, answer file
 * checksums, template, repeat, items) and the run directory. A coordinator that restarts enqueues the same ids, so
 * BullMQ keeps one job per unit; the call concurrency is left out (it changes no verdict).
 */
export function judgeUnitJobId(unit: JudgeUnitData): string {
  const { concurrency: _concurrency, dryRun: _dryRun, ...settings } = unit.judge.settings;
  return `judge-${canonicalHash({
    version: unit.version,
    runDir: unit.runDir,
    judge: { name: unit.judge.name, settings, plugins: unit.judge.plugins, cacheDir: unit.judge.cacheDir },
    template: unit.template,
    answers: unit.answerFiles.map((file) => file.sha256),
    models: unit.models,
    repeat: unit.repeat,
    indices: unit.indices,
  }).slice(0, 40)}`;
}

/** The judge input of item `index`, built as JudgeRunner builds it in-process (same prompt, same answers). */
export function judgeItemInput(answers: readonly ModelAnswers[], template: string, repeat: number, index: number, signal?: AbortSignal): JudgeItemInput {
  const first = answers[0];
  const record = first?.records[index];
  if (!first || !record) throw new RangeError(`Item ${index} is not in the answer files (${first?.records.length ?? 0} items).`);
  return {
    index,
    repeat,
    record: { instruction: record.instruction, input: record.input, output: record.output },
    prompt: formatAlpacaPrompt(record, template),
    answers: answers.map((model) => ({ model: model.name, response: (model.records[index] as { model_response: string }).model_response })),
    ...(signal ? { signal } : {}),
  };
}

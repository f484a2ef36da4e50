// The unit protocol of `judgekit finetune --queue` (and the study's fine-tune stage on the queue): a unit is one
// model's whole fine-tune. The worker runs the in-process `finetune` into the shared run directory with its usual
// files (model.safetensors, epochs.jsonl, resume.safetensors, result.json), always resuming: a unit delivered again
// (its worker died, or it was read back after a coordinator restart) continues after the last epoch the resume state
// committed, or finds result.json and trains nothing.
import { canonicalHash } from '@judgekit/core';
import { companionsKey, type SharedFile } from './shared-files.js';

// 2: the checkpoint's companions (config and tokenizer beside it), and files by URL.
export const FINETUNE_UNIT_VERSION = 2;

export interface FinetuneUnitData {
  kind: 'finetune';
  version: number;
  /** The base checkpoint (and its config, when given) by path and SHA-256. */
  checkpoint: SharedFile;
  config?: SharedFile;
  /** Files beside the checkpoint that it is read with (its config, a Llama tokenizer.json ...). */
  companions?: SharedFile[];
  /** The Alpaca records as one JSON array (the coordinator writes it into the run directory), by path and SHA-256. */
  records: SharedFile;
  /** The run directory: the worker writes `<outDir>/finetune/<name>/`. */
  outDir: string;
  /** Model name (the folder), when given; else the worker names it from the checkpoint, as `judgekit finetune` does. */
  name?: string;
  /** `finetune`'s options that are plain data: recipe, split, template, limit. */
  recipe: Record<string, unknown>;
  split?: { train?: number; test?: number; shuffleSeed?: number | string };
  template?: unknown;
  limit?: number;
  device: string;
  threads?: number;
  /** false: only log the memory estimate (`--skip-memory-check`). */
  checkMemory?: boolean;
}

export interface FinetuneUnitResult {
  name: string;
  dir: string;
  modelPath: string;
  configPath: string;
  epochs: unknown[];
  bestEpoch: number;
  stoppedEarly: boolean;
  /** The epoch this delivery started after (0: from the base weights; > 0: resumed a redelivered unit's state). */
  resumedFromEpoch: number;
  shape: unknown;
  naming: string;
  device: string;
  seconds: number;
  worker: string;
}

/**
 * Content job id: the files' checksums, the recipe and everything else the weights depend on, and where they go.
 * Threads and the memory check are left out (as the resume state's fingerprint leaves them out).
 */
export function finetuneUnitJobId(unit: FinetuneUnitData): string {
  const { threads: _threads, checkMemory: _checkMemory, ...rest } = unit;
  return `finetune-${canonicalHash({ ...rest, checkpoint: rest.checkpoint.sha256, config: rest.config?.sha256 ?? null, companions: companionsKey(rest.companions), records: rest.records.sha256 }).slice(0, 40)}`;
}

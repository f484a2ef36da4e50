// The unit protocol of `judgekit loss --queue`: a unit is a range of batches of one model's loss run. Units start
// and end on batch boundaries, so each batch holds the same windows as in-process and the coordinator adds the
// batches' NLL sums and token counts in the same order: the result is the in-process one, bit for bit.
import { canonicalHash } from '@judgekit/core';
import { companionsKey, type SharedFile } from './shared-files.js';

// 2: the checkpoint's companions (config and tokenizer beside it), and files by URL.
export const LOSS_UNIT_VERSION = 2;

export interface LossUnitData {
  kind: 'loss';
  version: number;
  /** The checkpoint (and its config, when given) by path and SHA-256. */
  model: SharedFile;
  config?: SharedFile;
  /** Files beside the checkpoint that it is read with (its config, a Llama tokenizer.json ...). */
  companions?: SharedFile[];
  data: SharedFile;
  /** `--format`, when given. */
  format?: string;
  /** The protocol flags as given (the worker resolves the defaults against the model, as `judgekit loss` does). */
  settings: { contextLength?: number; batchSize?: number; stride?: number; startToken?: number; batches?: number };
  device: string;
  threads?: number;
  /** Batches [fromBatch, toBatch) of the run (toBatch past the last batch means: to the end). */
  fromBatch: number;
  toBatch: number;
}

export interface LossUnitResult {
  /** One per batch of the unit, in order: NLL sum (float64) and scored tokens. */
  batches: Array<{ batch: number; sum: number; count: number }>;
  /** The run's plan, as the worker resolved it. */
  plan: { contextLength: number; stride: number; batchSize: number; startToken: number; windows: number; totalBatches: number };
  /** The data's description (the protocol's `tokens`). */
  tokens: string;
  device: string;
  seconds: number;
  worker: string;
}

/** Content job id: the files' checksums, the protocol flags and the batch range (the device too: results may differ by device). */
export function lossUnitJobId(unit: LossUnitData): string {
  const { threads: _threads, ...rest } = unit;
  return `loss-${canonicalHash({ ...rest, model: rest.model.sha256, config: rest.config?.sha256 ?? null, companions: companionsKey(rest.companions), data: rest.data.sha256 }).slice(0, 40)}`;
}

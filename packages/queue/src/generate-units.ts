// The unit protocol of `judgekit generate --queue`: a unit is one forward chunk of one model's prompts (the chunk
// `generateAnswers` would hand its in-process model), as token ids; the worker returns the completions' token ids
// and the coordinator decodes, extracts and logs them with the in-process code. A `generate-info` unit opens the
// model on a worker and says what the coordinator's answers depend on (context length, end-of-text token).
import { canonicalHash, type GenerationOptions } from '@judgekit/core';
import { companionsKey, type SharedFile } from './shared-files.js';

// 2: the checkpoint's companions (config and tokenizer beside it), and files by URL.
export const GENERATE_UNIT_VERSION = 2;

/** The model as `judgekit generate` opens it. */
export interface GenerateModelSpec {
  model: SharedFile;
  config?: SharedFile;
  /** Files beside the checkpoint that it is read with (its config, a Llama tokenizer.json ...). */
  companions?: SharedFile[];
  device: string;
  threads?: number;
  /** Prompts per forward pass (the model's default batch size). */
  batchSize: number;
}

export interface GenerateInfoUnitData {
  kind: 'generate-info';
  version: number;
  spec: GenerateModelSpec;
}

export interface GenerateInfoResult {
  contextLength: number;
  endOfText: number;
  device: string;
  worker: string;
}

export interface GenerateUnitData {
  kind: 'generate';
  version: number;
  spec: GenerateModelSpec;
  /** Where the answers go and the model's name there (part of the job id only). */
  out: string;
  name: string;
  /** The chunk's prompts as token ids, in the chunk's order. */
  prompts: number[][];
  options: GenerationOptions;
}

export interface GenerateUnitResult {
  /** Completion token ids, one per prompt, in order. */
  completions: number[][];
  device: string;
  worker: string;
}

function specKey(spec: GenerateModelSpec): unknown {
  return { model: spec.model.sha256, config: spec.config?.sha256 ?? null, companions: companionsKey(spec.companions), device: spec.device, batchSize: spec.batchSize };
}

export function generateInfoJobId(unit: GenerateInfoUnitData): string {
  return `generate-info-${canonicalHash({ version: unit.version, spec: specKey(unit.spec) }).slice(0, 40)}`;
}

/** Content job id: the weights' and config's checksums, device, batch size, generation options, prompts and destination. */
export function generateUnitJobId(unit: GenerateUnitData): string {
  return `generate-${canonicalHash({ version: unit.version, spec: specKey(unit.spec), out: unit.out, name: unit.name, prompts: unit.prompts, options: unit.options }).slice(0, 40)}`;
}

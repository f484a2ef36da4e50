import type { Contribution } from './contribution.js';
import type { AlpacaRecord } from './records.js';

export interface DatasetSplits<T = AlpacaRecord> {
  train: T[];
  test: T[];
  validation: T[];
}

export interface LoadedDataset {
  /** Path or URL it came from. */
  source: string;
  /** SHA-256 of the bytes read. */
  sha256: string;
  records: AlpacaRecord[];
}

export interface DatasetSource {
  /** A path or an http(s) URL to a JSON array or JSONL file of Alpaca records. */
  location: string;
  sha256?: string;
  cacheDir?: string;
  /** The config's `dataset.options`, validated against the dataset's `optionsSchema`. */
  options?: Record<string, unknown>;
}

export const InstructionDataset = Symbol.for('@judgekit/core/InstructionDataset');
/** Selected by the config's `dataset.kind` (default `alpaca`). */
export interface InstructionDataset extends Contribution {
  load(source: DatasetSource): Promise<LoadedDataset>;
}

export type PromptTemplateName = 'book' | 'study' | (string & {});

export const PromptTemplate = Symbol.for('@judgekit/core/PromptTemplate');
export interface PromptTemplate {
  readonly name: PromptTemplateName;
  /** The prompt a model sees: instruction and optional input, without the response header. */
  formatPrompt(record: Pick<AlpacaRecord, 'instruction' | 'input'>): string;
  /** The text a model is fine-tuned on: prompt plus response. */
  formatTraining(record: AlpacaRecord): string;
}

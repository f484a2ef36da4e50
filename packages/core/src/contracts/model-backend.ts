import type { Contribution } from './contribution.js';
import type { Tokenizer } from './tokenizer.js';

// Model backends compute token log-likelihoods and generate text. Two small capabilities, so a backend
// that can only do one of them still plugs in.

import type { Device } from './device.js';

export type { Device };

export interface ModelSpec {
  /** A safetensors checkpoint or an ONNX file. */
  path: string;
  /** JSON config beside a book-style checkpoint. */
  configPath?: string;
  name?: string;
}

export interface BackendOptions {
  device?: Device;
  threads?: number;
  batchSize?: number;
  /** The model's `options` from the config, validated against the backend's `optionsSchema`. */
  options?: Record<string, unknown>;
}

export interface TokenLogLikelihoods {
  /** Negative log-likelihood of each target token, row-major [batch, seq]. */
  nll: Float32Array;
  batch: number;
  sequence: number;
}

export interface LikelihoodModel {
  readonly contextLength: number;
  /** How text becomes the model's tokens; needed for test loss over text or JSONL documents (token files need none). */
  readonly tokenizer?: Tokenizer;
  /** Per-token NLL of `targets` given `inputs`, both [batch, seq] int32; -100 targets give 0 and are ignored. */
  tokenNll(inputs: Int32Array, targets: Int32Array, batch: number, sequence: number): Promise<TokenLogLikelihoods>;
  dispose(): Promise<void>;
}

export interface GenerationOptions {
  maxNewTokens?: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
  stopToken?: number;
  batchSize?: number;
}

export interface GenerativeModel {
  readonly contextLength: number;
  /** Encodes the prompts, gives the stop token and decodes the answers of the study's answer generation. */
  readonly tokenizer: Tokenizer;
  /** Completion token ids for each prompt (stop token excluded). */
  generate(prompts: number[][], options?: GenerationOptions): Promise<number[][]>;
  dispose(): Promise<void>;
}

export const ModelBackend = Symbol.for('@judgekit/core/ModelBackend');
/** Selected per model by `models[].backend`; `models[].options` are validated against `optionsSchema` and passed in `BackendOptions.options`. */
export interface ModelBackend extends Contribution {
  loadLikelihoodModel(spec: ModelSpec, options?: BackendOptions): Promise<LikelihoodModel>;
  loadGenerativeModel(spec: ModelSpec, options?: BackendOptions): Promise<GenerativeModel>;
}

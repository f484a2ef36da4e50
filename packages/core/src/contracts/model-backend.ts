// Model backends compute token log-likelihoods and generate text. Two small capabilities, so a backend
// that can only do one of them still plugs in.

export type Device = 'auto' | 'cpu' | 'cuda' | 'webgpu';

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
}

export interface TokenLogLikelihoods {
  /** Negative log-likelihood of each target token, row-major [batch, seq]. */
  nll: Float32Array;
  batch: number;
  sequence: number;
}

export interface LikelihoodModel {
  readonly contextLength: number;
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
  /** Completion token ids for each prompt (stop token excluded). */
  generate(prompts: number[][], options?: GenerationOptions): Promise<number[][]>;
  dispose(): Promise<void>;
}

export const ModelBackend = Symbol.for('@judgekit/core/ModelBackend');
export interface ModelBackend {
  readonly id: string;
  loadLikelihoodModel(spec: ModelSpec, options?: BackendOptions): Promise<LikelihoodModel>;
  loadGenerativeModel(spec: ModelSpec, options?: BackendOptions): Promise<GenerativeModel>;
}

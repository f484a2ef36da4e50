// What a model family provides, chosen by its config.json's `model_type`: reading its config, mapping its
// checkpoints' tensor names to parameters, its ONNX graphs (inference and training, on the one OnnxGraphBuilder),
// its special tokens and its tokenizer. Sessions, the KV cache, batching, the trainer loop and AdamW are generic and
// ask an `Architecture` for these; each family lives in its own folder beside this file (see gpt2/).
import type { Tokenizer } from '@judgekit/core';
import type { OnnxGraphBuilder } from '../onnx/graph-builder.js';
import type { NamedTensor } from '../training/safetensors-file.js';

/** The dimensions every decoder-only family has: what sessions, KV caches, batching and the trainer read. */
export interface ModelDimensions {
  vocabSize: number;
  contextLength: number;
  embDim: number;
  nLayers: number;
  nHeads: number;
  /** Heads the KV cache holds: fewer than nHeads with grouped-query attention (Llama); default nHeads. */
  nKvHeads?: number;
  /** Width of one attention head; default embDim / nHeads. */
  headDim?: number;
}

/** The KV cache's heads and head width of a model: [batch, kvHeads, positions, headDim] per layer. */
export function kvCacheDimensions(config: ModelDimensions): { heads: number; headDim: number } {
  return { heads: config.nKvHeads ?? config.nHeads, headDim: config.headDim ?? config.embDim / config.nHeads };
}

/** What a config file states (fields it leaves out come from the tensors) and the checkpoint naming it describes. */
export type StatedConfig<Config extends ModelDimensions = ModelDimensions> = Partial<Config> & { naming: string };

/** What a foreign ONNX decoder's inputs and outputs show of its shape (a dimension left out is symbolic). */
export interface ForeignDecoderShape {
  /** Counted from its `past_key_values.{i}.key` inputs. */
  nLayers?: number;
  nHeads?: number;
  headDim?: number;
  /** From its `logits` output. */
  vocabSize?: number;
}

/** A checkpoint in its family's canonical in-memory layout, ready for the graph builders. */
export interface LoadedModel<Config extends ModelDimensions = ModelDimensions> {
  /** The `model_type` of the architecture that loaded it. */
  readonly modelType: string;
  readonly config: Config;
  /** `prefix`: what the source's tensor names carry before the family's own (Hugging Face's `transformer.`). */
  readonly source: { path: string; naming: string; prefix?: string; configPath?: string };
}

/**
 * The inference graphs every family builds, with optimum's input and output names (decoder-io-names.ts):
 * `decoder` and `decoder-last` (the KV cache concatenated and returned, optimum's interface), `decoder-slots`
 * (judgekit's caller-owned slot cache) and `loss` (per-token NLL of `targets`).
 */
export type ModelGraphKind = 'decoder' | 'decoder-last' | 'decoder-slots' | 'loss';

/** What a graph is built for, beyond its kind. Every option may be ignored: the default graph uses standard ONNX ops only. */
export interface GraphBuildOptions {
  /**
   * The execution provider the session will run the graph on. `cpu` lets a family use ONNX Runtime's CPU contrib
   * kernels where they are faster (GPT-2's loss graph: the fused `com.microsoft` Attention). Graphs written for other
   * tools (`judgekit convert`) leave it out.
   */
  executionProvider?: 'cpu' | 'cuda' | 'webgpu';
}

export interface SpecialTokens {
  /** Ends each test-loss document and stops generation. */
  readonly endOfText: number;
  /** Fills fine-tuning batches. */
  readonly pad: number;
}

/** One trainable parameter under its canonical name. */
export interface ParameterSpec {
  name: string;
  shape: number[];
}

/** A batch's token ids and targets, [batch, seq] row-major; target -100 is ignored. */
export interface TrainingTokens {
  inputs: ArrayLike<number>;
  targets: ArrayLike<number>;
}

/** Where trained parameters go back to: the source checkpoint's naming and tensor names. */
export interface CheckpointTarget {
  naming: string;
  /** A prefix the source's names carry (Hugging Face's `transformer.`), else ''. */
  prefix: string;
  sourceNames: readonly string[];
}

/** The graph output holding the gradient of `parameter`. */
export function gradientName(parameter: string): string {
  return `grad.${parameter}`;
}

/** What the generic trainer needs from a family. */
export interface TrainingSupport<Config extends ModelDimensions, Loaded extends LoadedModel<Config>> {
  /** Every trainable parameter in a fixed order: the graph inputs, the optimizer state and resume files follow it. */
  parameterSpecs(config: Config): ParameterSpec[];
  /**
   * The loss graph, with `backward` also its gradient. Inputs: every parameter by name, `input_ids` and `targets`
   * (int64 [B, T]). Outputs: `loss` (mean cross-entropy over targets that are not -100), `count` and, with
   * `backward`, `gradientName(p)` for each parameter `graphHasGradient` accepts plus `hostGradientOutputs`.
   */
  buildTrainGraph(config: Config, options: { backward: boolean }): OnnxGraphBuilder;
  graphHasGradient(config: Config, parameter: string): boolean;
  /** Extra outputs of the backward graph that `completeGradients` reads. */
  readonly hostGradientOutputs: readonly string[];
  /** Finish on the host the gradients the graph leaves out (e.g. scatter-adds into embedding rows). */
  completeGradients(config: Config, grads: ReadonlyMap<string, Float32Array>, batch: TrainingTokens, outputs: Readonly<Record<string, Float32Array>>): void;
  /** Trainable parameters (fresh copies) of a loaded checkpoint whose file holds `sourceNames`. */
  checkpointParameters(model: Loaded, sourceNames: readonly string[]): { config: Config; parameters: Map<string, Float32Array> };
  /** Parameters as tensors in the target checkpoint's naming. */
  checkpointTensors(config: Config, parameters: ReadonlyMap<string, Float32Array>, target: CheckpointTarget): Map<string, NamedTensor>;
}

export interface Architecture<Config extends ModelDimensions = ModelDimensions, Loaded extends LoadedModel<Config> = LoadedModel<Config>> {
  /** config.json's `model_type`, e.g. `gpt2`. */
  readonly modelType: string;
  readonly description: string;
  /** The checkpoint namings it reads and writes, e.g. `hf` and `book`. */
  readonly namings: readonly string[];
  /** Read a parsed JSON config in any of its namings; throws naming the field that is wrong. */
  parseConfig(json: unknown, file?: string): StatedConfig<Config>;
  /** The inverse of parseConfig, for writing configs beside checkpoints. */
  configToJson(config: Config, naming: string): Record<string, unknown>;
  /** The config of a foreign ONNX decoder: what its inputs and outputs show, completed from a config file. */
  foreignConfig(found: ForeignDecoderShape, stated: StatedConfig<Config> | undefined, file: string): Config;
  /** Load a safetensors checkpoint in any of its namings; the config is `options.configPath` or found beside it. */
  loadCheckpoint(path: string, options?: { configPath?: string }): Promise<Loaded>;
  buildGraph(model: Loaded, kind: ModelGraphKind, options?: GraphBuildOptions): OnnxGraphBuilder;
  readonly training: TrainingSupport<Config, Loaded>;
  /** The family's fixed special tokens; families whose ids come with each checkpoint implement `specialTokensFor`. */
  readonly specialTokens: SpecialTokens;
  /** The family's fixed tokenizer; families whose tokenizer comes with each checkpoint implement `tokenizerFor`. */
  createTokenizer(): Tokenizer;
  /**
   * The special tokens of one model, from its config (Llama's `eos_token_id`, `pad_token_id`). Optional: without it
   * `specialTokens` holds for every model of the family. Callers go through `specialTokensOf` (index.ts).
   */
  specialTokensFor?(config: Config): SpecialTokens;
  /**
   * The tokenizer of one model, read from the files beside `path` (a checkpoint or an ONNX file built from one),
   * e.g. Llama's `tokenizer.json`. Optional: without it `createTokenizer()` holds for every model of the family.
   * Callers go through `tokenizerOf` (index.ts).
   */
  tokenizerFor?(model: { path: string; config: Config }): Promise<Tokenizer>;
}

// The model architectures judgekit loads, by config.json's `model_type`. Adding a family is one folder beside gpt2/
// exporting an `Architecture`, and its line in ARCHITECTURES.
import { JudgekitError, type Tokenizer } from '@judgekit/core';
import type { Architecture, LoadedModel, ModelDimensions, SpecialTokens } from './architecture.js';
import { gpt2Architecture } from './gpt2/gpt2-architecture.js';
import { llamaArchitecture } from './llama/llama-architecture.js';
import { findConfigBeside, readConfigJson, statedModelType } from './model-config.js';

const ARCHITECTURES: Readonly<Record<string, Architecture>> = Object.freeze({
  [gpt2Architecture.modelType]: gpt2Architecture,
  [llamaArchitecture.modelType]: llamaArchitecture,
});

/** Configs that state no `model_type` (the book's GPTModel JSON) and foreign ONNX files without judgekit metadata. */
const DEFAULT_ARCHITECTURE: Architecture = gpt2Architecture;

export function defaultArchitecture(): Architecture {
  return DEFAULT_ARCHITECTURE;
}

export function supportedModelTypes(): string[] {
  return Object.keys(ARCHITECTURES);
}

/** The architecture for a `model_type`; throws a `model` error listing the supported ones. */
export function architectureFor(modelType: string, file?: string): Architecture {
  if (Object.hasOwn(ARCHITECTURES, modelType)) return ARCHITECTURES[modelType]!;
  throw new JudgekitError(
    'model',
    `Unsupported model_type "${modelType}". Should be one of: ${supportedModelTypes().join(', ')}.`,
    file ? { file, location: 'model_type' } : {},
  );
}

/** The `model_type` of a parsed config: its own, or the default architecture's when it states none. */
export function modelTypeOf(json: unknown, file?: string): string {
  return statedModelType(json, file) ?? DEFAULT_ARCHITECTURE.modelType;
}

/** The architecture of a checkpoint, read from its config (`configPath`, else the one beside it). */
export async function architectureOfCheckpoint(path: string, configPath?: string): Promise<Architecture> {
  const config = configPath ?? (await findConfigBeside(path));
  if (!config) return DEFAULT_ARCHITECTURE;
  return architectureFor(modelTypeOf(await readConfigJson(config), config), config);
}

/** Load a safetensors checkpoint with the architecture its config names. */
export async function loadModelCheckpoint(path: string, options: { configPath?: string } = {}): Promise<LoadedModel> {
  const architecture = await architectureOfCheckpoint(path, options.configPath);
  return architecture.loadCheckpoint(path, options);
}

/** A model's special tokens: its own (from its config) where the family has per-model ids, else the family's. */
export function specialTokensOf(architecture: Architecture, config: ModelDimensions): SpecialTokens {
  return architecture.specialTokensFor ? architecture.specialTokensFor(config) : architecture.specialTokens;
}

/**
 * A model's tokenizer: read from the files beside `path` (its checkpoint or ONNX file) where the family ships one
 * per model (Llama's tokenizer.json), else the family's own.
 */
export async function tokenizerOf(architecture: Architecture, model: { path: string; config: ModelDimensions }): Promise<Tokenizer> {
  return architecture.tokenizerFor ? architecture.tokenizerFor(model) : architecture.createTokenizer();
}

/**
 * A checkpoint's tokenizer without loading its weights (a queue coordinator encodes prompts for workers that hold
 * the model): its family's own, or the per-model one read from the files beside it with the config it states.
 */
export async function checkpointTokenizer(path: string, configPath?: string): Promise<Tokenizer> {
  const config = configPath ?? (await findConfigBeside(path));
  if (!config) return DEFAULT_ARCHITECTURE.createTokenizer();
  const json = await readConfigJson(config);
  const architecture = architectureFor(modelTypeOf(json, config), config);
  if (!architecture.tokenizerFor) return architecture.createTokenizer();
  // The per-model tokenizers read the special-token ids a config states; the shape fields are not needed here.
  return architecture.tokenizerFor({ path, config: architecture.parseConfig(json, config) as ModelDimensions });
}

export * from './architecture.js';
export * from './decoder-io-names.js';
export { findConfigBeside, readConfigJson, statedModelType } from './model-config.js';

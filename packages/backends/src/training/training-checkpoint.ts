// Checkpoints in and out of the trainer, for any architecture: read through the architecture's loader (so the shape
// and config rules are the ones inference uses), mapped to its canonical parameters, and written back in the
// naming they came in, with any untrained tensors (stored masks) kept as they were.
import { readFile } from 'node:fs/promises';
import type { Architecture, ModelDimensions } from '../architectures/architecture.js';
import { architectureOfCheckpoint } from '../architectures/index.js';
import type { ModelParameters } from './model-parameters.js';
import { readSafetensors, writeSafetensors, type NamedTensor } from './safetensors-file.js';

export interface TrainingCheckpoint {
  path: string;
  /** The checkpoint's family, which maps its tensors to parameters and builds the training graphs. */
  architecture: Architecture;
  /** The source's tensor naming (GPT-2: `hf` or `book`). */
  naming: string;
  /** `transformer.` when HF names carry it, else ''. */
  prefix: string;
  shape: ModelDimensions;
  parameters: ModelParameters;
  /** Every tensor name of the source file, in order (untrained ones are copied back unchanged on save). */
  sourceNames: string[];
  sourceMetadata: Record<string, string>;
  /** The JSON config the shape was read from, if any. */
  configPath?: string;
}

/** Read a safetensors checkpoint (any naming its architecture reads) for training. */
export async function loadTrainingCheckpoint(path: string, options: { configPath?: string } = {}): Promise<TrainingCheckpoint> {
  const architecture = await architectureOfCheckpoint(path, options.configPath);
  const loaded = await architecture.loadCheckpoint(path, options.configPath ? { configPath: options.configPath } : {});
  const header = await readSafetensors(path, () => false);
  const { config, parameters } = architecture.training.checkpointParameters(loaded, header.names);
  const { naming, prefix = '', configPath } = loaded.source;
  return { path, architecture, naming, prefix, shape: config, parameters, sourceNames: header.names, sourceMetadata: header.metadata, ...(configPath ? { configPath } : {}) };
}

/**
 * Write trained parameters as a safetensors file in the checkpoint's own naming: trained tensors replaced, every
 * other tensor of the source (e.g. stored attention masks) copied from the source file, in the source's order.
 */
export async function saveTrainingCheckpoint(path: string, checkpoint: TrainingCheckpoint, params: ModelParameters, metadata: Record<string, string> = {}): Promise<void> {
  const trained = checkpoint.architecture.training.checkpointTensors(checkpoint.shape, params, checkpoint);
  const untouched = checkpoint.sourceNames.some((name) => !trained.has(name))
    ? (await readSafetensors(checkpoint.path, (name) => !trained.has(name))).tensors
    : new Map<string, NamedTensor>();
  const entries: Array<[string, NamedTensor]> = [];
  for (const name of checkpoint.sourceNames) {
    const tensor = trained.get(name) ?? untouched.get(name);
    if (tensor) entries.push([name, tensor]);
  }
  for (const [name, tensor] of trained) if (!checkpoint.sourceNames.includes(name)) entries.push([name, tensor]);
  await writeSafetensors(path, entries, { format: 'pt', ...checkpoint.sourceMetadata, ...metadata });
}

/** The model config to write beside a saved checkpoint: the source's own JSON when it had one, else generated. */
export async function checkpointConfigJson(checkpoint: TrainingCheckpoint): Promise<Record<string, unknown>> {
  if (checkpoint.configPath) {
    try {
      return JSON.parse(await readFile(checkpoint.configPath, 'utf8')) as Record<string, unknown>;
    } catch {
      // Fall through to a generated config; the loader already parsed this file once, so this is unlikely.
    }
  }
  return checkpoint.architecture.configToJson(checkpoint.shape, checkpoint.naming);
}

// Turns "a model" (a loaded checkpoint, a safetensors path or an ONNX path) into something ONNX Runtime can open:
// graph bytes built in memory, or a file path. Models too big for one protobuf go through a temp file with
// external data.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import type { Architecture, GraphBuildOptions, LoadedModel, ModelDimensions, ModelGraphKind } from '../architectures/architecture.js';
import { architectureFor, defaultArchitecture, loadModelCheckpoint } from '../architectures/index.js';
import type { OnnxGraphBuilder } from '../onnx/graph-builder.js';
import { readOnnxMetadata } from '../onnx/onnx-metadata.js';
import { collectGarbage } from './collect-garbage.js';
import { removeOnExit } from '@judgekit/core';

export interface OpenableModel {
  /** Bytes or a file path for InferenceSession.create. */
  model: Uint8Array | string;
  /** The model's family: the one that built the graph, else the ONNX file's `judgekit.model_type` or the default. */
  architecture: Architecture;
  /** The checkpoint or ONNX file the model came from: families with per-model tokenizers read theirs beside it. */
  path: string;
  /** Known when judgekit built the graph (or wrote it, via its metadata). */
  config?: ModelDimensions;
  /** The graph kind when judgekit built it; undefined for foreign ONNX files. */
  kind?: ModelGraphKind;
  /** Remove temporary files once the session holds the model. */
  cleanup(): Promise<void>;
}

/** Models with more weight bytes than this are handed to ONNX Runtime as a file with external data. */
const IN_MEMORY_LIMIT_BYTES = 256 * 2 ** 20;

export function isOnnxPath(path: string): boolean {
  return extname(path).toLowerCase() === '.onnx';
}

export interface OpenableModelOptions {
  /** A config file for a checkpoint whose config is not beside it. */
  configPath?: string;
  /** Weight bytes above which the graph goes to ONNX Runtime as a file with external data. */
  inMemoryLimitBytes?: number;
  /** What the graph is built for (an ONNX file is taken as it is). */
  graph?: GraphBuildOptions;
}

/** Build (or locate) a graph of `kind` for a model. */
export async function openableModel(model: LoadedModel | string, kind: ModelGraphKind, options: OpenableModelOptions = {}): Promise<OpenableModel> {
  const { configPath, inMemoryLimitBytes = IN_MEMORY_LIMIT_BYTES, graph = {} } = options;
  if (typeof model === 'string' && isOnnxPath(model)) {
    const meta = await readOnnxMetadata(model);
    const modelType = meta['judgekit.model_type'];
    const architecture = modelType ? architectureFor(modelType, model) : defaultArchitecture();
    const config = meta['judgekit.config'] ? (JSON.parse(meta['judgekit.config']) as ModelDimensions) : undefined;
    const builtKind = meta['judgekit.kind'] as ModelGraphKind | undefined;
    return { model, architecture, path: model, ...(config ? { config } : {}), ...(builtKind ? { kind: builtKind } : {}), cleanup: async () => {} };
  }
  // Weights judgekit read itself are dropped (and collected) once written, before ONNX Runtime loads its own copy.
  const owned = typeof model === 'string';
  let loaded: LoadedModel | undefined = owned ? await loadModelCheckpoint(model, configPath ? { configPath } : {}) : model;
  const architecture = architectureFor(loaded.modelType);
  const config = loaded.config;
  const path = typeof model === 'string' ? model : model.source.path;
  let builder: OnnxGraphBuilder | undefined = architecture.buildGraph(loaded, kind, graph);
  if (builder.initializerBytes() <= inMemoryLimitBytes) {
    return { model: builder.toBytes(), architecture, path, config, kind, cleanup: async () => {} };
  }
  // Big models go through a temp file with external data: no JS copy of the weights into one protobuf buffer,
  // and ONNX Runtime reads (or maps) the weights itself. For 124M parameters this cut session creation from 10 s
  // to 6 s and peak memory by 0.6 GB. Models over 2 GB could not be held in one protobuf anyway.
  const dir = await mkdtemp(join(tmpdir(), 'judgekit-onnx-'));
  // Gigabytes of weights: gone even if the process is stopped before the session holds them.
  const forget = removeOnExit(dir);
  const file = join(dir, `${kind}.onnx`);
  try {
    await builder.writeFile(file, { externalData: true });
  } catch (error) {
    forget();
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    throw error;
  }
  if (owned) {
    loaded = undefined;
    builder = undefined;
    collectGarbage();
  }
  return {
    model: file,
    architecture,
    path,
    config,
    kind,
    cleanup: async () => {
      // Best effort: a platform that keeps the mapped file locked (Windows) leaves it to the temp-dir cleaner.
      forget();
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}

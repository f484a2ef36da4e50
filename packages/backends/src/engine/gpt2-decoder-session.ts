// The decoding primitive other engines build on (generation, benchmarks): one ONNX Runtime session of the GPT-2
// decoder graph with a KV cache. Each step returns the last position's logits and the extended cache.
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import type { Device } from '@judgekit/core';
import { JudgekitError } from '@judgekit/core';
import type * as Ort from 'onnxruntime-node';
import type { Gpt2Config } from '../checkpoint/gpt2-config.js';
import { readGpt2ConfigFile, type LoadedGpt2 } from '../checkpoint/load-gpt2-checkpoint.js';
import { pastKeyName, pastValueName, presentKeyName, presentValueName } from '../onnx/gpt2-graph.js';
import { openableModel } from './model-source.js';
import { loadOrt, resolveDevice, sessionOptions, type OrtModule, type ResolvedDevice } from './ort-runtime.js';
import { assertValidTokenIds, toInt64 } from './token-validation.js';

export type { Gpt2Config } from '../checkpoint/gpt2-config.js';

export interface KvCache {
  readonly pastLength: number;
  dispose(): void;
}

export interface DecoderStepArgs {
  inputIds: Int32Array;
  positionIds: Int32Array;
  attentionMask: Int32Array;
  batch: number;
  seq: number;
  past: KvCache | null;
}

export interface Gpt2DecoderSession {
  readonly config: Gpt2Config;
  readonly device: ResolvedDevice;
  /** inputIds, positionIds: [batch, seq]; attentionMask: [batch, past.pastLength + seq] (1 real, 0 padding).
   *  Returns the LAST position's logits [batch, vocab] and the cache extended by seq (past is not disposed). */
  step(args: DecoderStepArgs): Promise<{ logits: Float32Array; present: KvCache }>;
  dispose(): Promise<void>;
}

export interface DecoderSessionOptions {
  device?: Device;
  threads?: number;
  /** JSON config for a safetensors checkpoint (book or HF), or for a foreign ONNX file. */
  configPath?: string;
}

class OrtKvCache implements KvCache {
  private disposed = false;

  constructor(
    readonly pastLength: number,
    readonly batch: number,
    readonly owner: object,
    /** key, value per layer, in layer order. */
    readonly tensors: readonly Ort.Tensor[],
  ) {}

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // CPU tensors are garbage-collected; GPU buffers must be released explicitly.
    for (const tensor of this.tensors) if (tensor.location === 'gpu-buffer') tensor.dispose();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }
}

/** Config of a foreign ONNX decoder from its input/output shapes and an optional JSON config. */
export async function foreignGpt2Config(session: Ort.InferenceSession, path: string, configPath?: string): Promise<Gpt2Config> {
  const meta = (name: string) => session.inputMetadata.find((m) => m.name === name) ?? session.outputMetadata.find((m) => m.name === name);
  const pastKey = meta(pastKeyName(0));
  const logits = meta('logits');
  const stated = configPath ?? (existsSync(join(dirname(path), 'config.json')) ? join(dirname(path), 'config.json') : undefined);
  const fromFile = stated ? await readGpt2ConfigFile(stated) : undefined;
  const nLayers = session.inputNames.filter((n) => /^past_key_values\.\d+\.key$/.test(n)).length;
  const keyShape = pastKey && pastKey.isTensor ? pastKey.shape : [];
  const nHeads = fromFile?.nHeads ?? (typeof keyShape[1] === 'number' ? keyShape[1] : undefined);
  const headDim = typeof keyShape[3] === 'number' ? keyShape[3] : undefined;
  const vocab = logits && logits.isTensor ? logits.shape[2] : undefined;
  const vocabSize = fromFile?.vocabSize ?? (typeof vocab === 'number' ? vocab : undefined);
  if (!nLayers || !nHeads || (!headDim && !fromFile?.embDim) || !vocabSize) {
    throw new JudgekitError(
      'model',
      `${path} does not look like a GPT-2 decoder with a KV cache (inputs input_ids, attention_mask, position_ids, past_key_values.N.key|value; output logits with a fixed vocabulary size); give its Hugging Face config.json with --config.`,
      { file: path },
    );
  }
  return {
    vocabSize,
    contextLength: fromFile?.contextLength ?? 1024,
    embDim: fromFile?.embDim ?? nHeads * headDim!,
    nLayers,
    nHeads,
    qkvBias: fromFile?.qkvBias ?? true,
    tiedHead: fromFile?.tiedHead ?? true,
  };
}

class OrtGpt2DecoderSession implements Gpt2DecoderSession {
  private readonly emptyPast = new Map<number, Ort.Tensor[]>();
  private readonly hasPositionIds: boolean;
  private readonly hasCacheBranch: boolean;
  private readonly headDim: number;

  constructor(
    private readonly ort: OrtModule,
    private readonly session: Ort.InferenceSession,
    readonly config: Gpt2Config,
    readonly device: ResolvedDevice,
  ) {
    this.hasPositionIds = session.inputNames.includes('position_ids');
    this.hasCacheBranch = session.inputNames.includes('use_cache_branch');
    this.headDim = config.embDim / config.nHeads;
  }

  private pastFor(batch: number): Ort.Tensor[] {
    let tensors = this.emptyPast.get(batch);
    if (!tensors) {
      const dims = [batch, this.config.nHeads, 0, this.headDim];
      tensors = Array.from({ length: 2 * this.config.nLayers }, () => new this.ort.Tensor('float32', new Float32Array(0), dims));
      this.emptyPast.set(batch, tensors);
    }
    return tensors;
  }

  async step(args: DecoderStepArgs): Promise<{ logits: Float32Array; present: KvCache }> {
    const { batch, seq, past } = args;
    const pastLength = past?.pastLength ?? 0;
    const total = pastLength + seq;
    if (!Number.isInteger(batch) || batch < 1 || !Number.isInteger(seq) || seq < 1) {
      throw new JudgekitError('input', `decoder step: batch (${batch}) and seq (${seq}) must be positive integers.`);
    }
    if (args.inputIds.length !== batch * seq || args.positionIds.length !== batch * seq) {
      throw new JudgekitError('input', `decoder step: inputIds and positionIds must hold batch*seq = ${batch * seq} ids (got ${args.inputIds.length} and ${args.positionIds.length}).`);
    }
    if (args.attentionMask.length !== batch * total) {
      throw new JudgekitError('input', `decoder step: attentionMask must be [batch, past + seq] = ${batch * total} values (got ${args.attentionMask.length}).`);
    }
    if (total > this.config.contextLength) {
      throw new JudgekitError('input', `decoder step: past (${pastLength}) + seq (${seq}) exceeds the context length ${this.config.contextLength}; crop the context.`);
    }
    if (past && !(past instanceof OrtKvCache && past.owner === this)) {
      throw new JudgekitError('input', 'decoder step: the cache was not produced by this session.');
    }
    if (past instanceof OrtKvCache) {
      if (past.isDisposed) throw new JudgekitError('input', 'decoder step: the cache passed as past was disposed.');
      if (past.batch !== batch) throw new JudgekitError('input', `decoder step: the cache holds ${past.batch} rows but batch is ${batch}.`);
    }
    assertValidTokenIds(args.inputIds, this.config.vocabSize, 'decoder step inputIds', { sequence: seq });
    assertValidTokenIds(args.positionIds, this.config.contextLength, 'decoder step positionIds', { sequence: seq });
    const T = this.ort.Tensor;
    const feeds: Record<string, Ort.Tensor> = {
      input_ids: new T('int64', toInt64(args.inputIds), [batch, seq]),
      attention_mask: new T('int64', toInt64(args.attentionMask), [batch, total]),
    };
    if (this.hasPositionIds) feeds.position_ids = new T('int64', toInt64(args.positionIds), [batch, seq]);
    if (this.hasCacheBranch) feeds.use_cache_branch = new T('bool', new Uint8Array([past ? 1 : 0]), [1]);
    const pastTensors = past instanceof OrtKvCache ? past.tensors : this.pastFor(batch);
    for (let i = 0; i < this.config.nLayers; i++) {
      feeds[pastKeyName(i)] = pastTensors[2 * i]!;
      feeds[pastValueName(i)] = pastTensors[2 * i + 1]!;
    }
    const out = await this.session.run(feeds);
    const logitsTensor = out.logits;
    if (!logitsTensor) throw new JudgekitError('model', 'the decoder graph has no `logits` output.');
    const V = this.config.vocabSize;
    const data = (logitsTensor.location === 'cpu' ? logitsTensor.data : await logitsTensor.getData(true)) as Float32Array;
    const rows = data.length / (batch * V);
    let logits: Float32Array;
    if (rows === 1) {
      logits = data;
    } else {
      logits = new Float32Array(batch * V);
      for (let b = 0; b < batch; b++) logits.set(data.subarray((b * rows + rows - 1) * V, (b * rows + rows) * V), b * V);
    }
    const present: Ort.Tensor[] = [];
    for (let i = 0; i < this.config.nLayers; i++) {
      const key = out[presentKeyName(i)];
      const value = out[presentValueName(i)];
      if (!key || !value) throw new JudgekitError('model', `the decoder graph has no present.${i}.key/value outputs.`);
      present.push(key, value);
    }
    return { logits, present: new OrtKvCache(total, batch, this, present) };
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/** Open a decoder session for a loaded checkpoint, a safetensors path or an ONNX path. */
export async function createGpt2DecoderSession(model: LoadedGpt2 | string, options: DecoderSessionOptions = {}): Promise<Gpt2DecoderSession> {
  const device = await resolveDevice(options.device ?? 'auto');
  const ort = await loadOrt();
  const source = await openableModel(model, 'decoder-last', options.configPath);
  const gpuOutputs: string[] = [];
  const nLayers = source.config?.nLayers;
  if (nLayers !== undefined) for (let i = 0; i < nLayers; i++) gpuOutputs.push(presentKeyName(i), presentValueName(i));
  let session: Ort.InferenceSession;
  try {
    const settings = sessionOptions({ device, ...(options.threads ? { threads: options.threads } : {}), gpuOutputs });
    session = typeof source.model === 'string' ? await ort.InferenceSession.create(source.model, settings) : await ort.InferenceSession.create(source.model, settings);
  } catch (error) {
    throw new JudgekitError('model', `ONNX Runtime could not open the decoder model${typeof source.model === 'string' ? ` ${source.model}` : ''}: ${(error as Error).message}`, {
      ...(typeof model === 'string' ? { file: model } : {}),
      cause: error,
    });
  } finally {
    await source.cleanup();
  }
  const config = source.config ?? (await foreignGpt2Config(session, model as string, options.configPath));
  const decoder = new OrtGpt2DecoderSession(ort, session, config, device);
  // Pay first-run costs (weight pages, kernel set-up, shader compilation on WebGPU) while loading.
  const warm = await decoder.step({ inputIds: Int32Array.of(0), positionIds: Int32Array.of(0), attentionMask: Int32Array.of(1), batch: 1, seq: 1, past: null });
  warm.present.dispose();
  return decoder;
}

export type { LoadedGpt2 } from '../checkpoint/load-gpt2-checkpoint.js';

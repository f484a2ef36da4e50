// The decoding primitive other engines build on (generation, benchmarks): one ONNX Runtime session of a decoder
// graph with a KV cache, built by the model's architecture (or a foreign ONNX export with optimum's names). Each step
// returns the last position's logits and the extended cache.
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import type { Device, Tokenizer } from '@judgekit/core';
import { JudgekitError } from '@judgekit/core';
import type * as Ort from 'onnxruntime-node';
import { kvCacheDimensions, type Architecture, type ForeignDecoderShape, type LoadedModel, type ModelDimensions } from '../architectures/architecture.js';
import { newKeyName, newValueName, PAST_KEY_PATTERN, pastKeyName, pastValueName, presentKeyName, presentValueName } from '../architectures/decoder-io-names.js';
import { architectureFor, readConfigJson, statedModelType, tokenizerOf } from '../architectures/index.js';
import { isOnnxPath, openableModel } from './model-source.js';
import { loadOrt, resolveDevice, sessionOptions, type OrtModule, type ResolvedDevice } from './ort-runtime.js';
import { assertValidTokenIds, toInt64 } from './token-validation.js';

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
  /** Positions the returned cache should have room for without growing (a hint; default: exactly past + seq). */
  reserve?: number;
  /** The caller will not use `past` again: the session may extend it in place, and `past` is then disposed. */
  extendInPlace?: boolean;
}

export interface Gpt2DecoderSession {
  readonly config: ModelDimensions;
  readonly device: ResolvedDevice;
  /** The architecture's tokenizer: generation stops at its end-of-text id unless told otherwise. */
  readonly tokenizer: Tokenizer;
  /** inputIds, positionIds: [batch, seq]; attentionMask: [batch, past.pastLength + seq] (1 real, 0 padding).
   *  Returns the LAST position's logits [batch, vocab] and the cache extended by seq (past is not disposed). */
  step(args: DecoderStepArgs): Promise<{ logits: Float32Array; present: KvCache }>;
  /** Slot caches only: the cache with just `rows` (ascending) left, consuming the given one. */
  readonly keepRows?: (cache: KvCache, rows: readonly number[]) => KvCache;
  dispose(): Promise<void>;
}

export interface DecoderSessionOptions {
  device?: Device;
  threads?: number;
  /** JSON config for a safetensors checkpoint (book or HF), or for a foreign ONNX file. */
  configPath?: string;
  /**
   * How the KV cache is kept. `slots` (the default on the CPU for checkpoints): in JavaScript-owned buffers that
   * each step reads in place and appends to; only the step's new keys and values come back from the runtime.
   * `concat` (GPUs, and ONNX files, which have optimum's interface): the graph concatenates past and new and
   * returns the whole cache every step, kept on the device where the provider allows.
   */
  cache?: 'slots' | 'concat';
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

/**
 * Architecture and config of a foreign ONNX decoder: what its input and output shapes show, completed from its
 * JSON config (`configPath`, else `config.json` beside it), whose `model_type` picks the architecture (else
 * `fallback`, the file's own metadata or the default).
 */
export async function foreignModelConfig(
  session: Ort.InferenceSession,
  path: string,
  fallback: Architecture,
  configPath?: string,
): Promise<{ architecture: Architecture; config: ModelDimensions }> {
  const meta = (name: string) => session.inputMetadata.find((m) => m.name === name) ?? session.outputMetadata.find((m) => m.name === name);
  const pastKey = meta(pastKeyName(0));
  const logits = meta('logits');
  const stated = configPath ?? (existsSync(join(dirname(path), 'config.json')) ? join(dirname(path), 'config.json') : undefined);
  const json = stated ? await readConfigJson(stated) : undefined;
  const modelType = statedModelType(json, stated);
  const architecture = modelType ? architectureFor(modelType, stated) : fallback;
  const keyShape = pastKey && pastKey.isTensor ? pastKey.shape : [];
  const vocab = logits && logits.isTensor ? logits.shape[2] : undefined;
  // A decoder with a cache says its depth through its past inputs; one without (a full-sequence export) needs the config.
  const found: ForeignDecoderShape = {
    nLayers: session.inputNames.filter((n) => PAST_KEY_PATTERN.test(n)).length || undefined,
    nHeads: typeof keyShape[1] === 'number' ? keyShape[1] : undefined,
    headDim: typeof keyShape[3] === 'number' ? keyShape[3] : undefined,
    vocabSize: typeof vocab === 'number' ? vocab : undefined,
  };
  const fromFile = stated ? architecture.parseConfig(json, stated) : undefined;
  return { architecture, config: architecture.foreignConfig(found, fromFile, path) };
}

/**
 * A KV cache in slot buffers: per layer key and value, each [batch, heads, capacity, head_dim], first `pastLength`
 * slots filled. Each step reads all `capacity` slots (the unused ones masked), so the capacity grows with the
 * sequence, SLOT_GROWTH slots ahead, inside storage reserved once for the whole generation (see `roomOf`).
 */
class SlotKvCache implements KvCache {
  private state: 'live' | 'disposed' | 'extended' = 'live';

  constructor(
    readonly pastLength: number,
    readonly batch: number,
    readonly owner: OrtDecoderSession,
    readonly capacity: number,
    readonly buffers: readonly Float32Array[],
  ) {}

  dispose(): void {
    if (this.state !== 'live') return;
    this.state = 'disposed';
    this.owner.recycle(this.buffers);
  }

  /** Hand the buffers over to the cache that extends this one. */
  markExtended(): void {
    this.state = 'extended';
  }

  get isDisposed(): boolean {
    return this.state !== 'live';
  }
}

class OrtDecoderSession implements Gpt2DecoderSession {
  private readonly emptyPast = new Map<number, Ort.Tensor[]>();
  /** Slot buffers of a disposed cache, reused by the next one that fits (one batch of generation to the next). */
  private spare: readonly Float32Array[] | null = null;
  readonly keepRows?: (cache: KvCache, rows: readonly number[]) => KvCache;
  private readonly hasPositionIds: boolean;
  private readonly hasCacheBranch: boolean;
  private readonly headDim: number;
  /** Heads the KV cache holds (fewer than the query heads with grouped-query attention). */
  private readonly kvHeads: number;

  constructor(
    private readonly ort: OrtModule,
    private readonly session: Ort.InferenceSession,
    readonly config: ModelDimensions,
    readonly device: ResolvedDevice,
    private readonly slots: boolean,
    readonly tokenizer: Tokenizer,
  ) {
    if (slots) this.keepRows = (cache, rows) => this.keepSlotRows(cache, rows);
    this.hasPositionIds = session.inputNames.includes('position_ids');
    this.hasCacheBranch = session.inputNames.includes('use_cache_branch');
    ({ heads: this.kvHeads, headDim: this.headDim } = kvCacheDimensions(config));
  }

  private pastFor(batch: number): Ort.Tensor[] {
    let tensors = this.emptyPast.get(batch);
    if (!tensors) {
      // The slot graph always reads at least one (masked) slot; optimum's graph takes an empty past.
      const slots = this.slots ? 1 : 0;
      const dims = [batch, this.kvHeads, slots, this.headDim];
      tensors = Array.from({ length: 2 * this.config.nLayers }, () => new this.ort.Tensor('float32', new Float32Array(batch * slots * this.kvHeads * this.headDim), dims));
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
    if (past && !((past instanceof OrtKvCache || past instanceof SlotKvCache) && past.owner === this)) {
      throw new JudgekitError('input', 'decoder step: the cache was not produced by this session.');
    }
    if (past instanceof OrtKvCache || past instanceof SlotKvCache) {
      if (past.isDisposed) throw new JudgekitError('input', 'decoder step: the cache passed as past was disposed.');
      if (past.batch !== batch) throw new JudgekitError('input', `decoder step: the cache holds ${past.batch} rows but batch is ${batch}.`);
    }
    assertValidTokenIds(args.inputIds, this.config.vocabSize, 'decoder step inputIds', { sequence: seq });
    assertValidTokenIds(args.positionIds, this.config.contextLength, 'decoder step positionIds', { sequence: seq });
    if (this.slots) return this.slotStep(args, past as SlotKvCache | null);
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
    const logits = await this.lastLogits(out, batch);
    const present: Ort.Tensor[] = [];
    for (let i = 0; i < this.config.nLayers; i++) {
      const key = out[presentKeyName(i)];
      const value = out[presentValueName(i)];
      if (!key || !value) throw new JudgekitError('model', `the decoder graph has no present.${i}.key/value outputs.`);
      present.push(key, value);
    }
    return { logits, present: new OrtKvCache(total, batch, this, present) };
  }

  private async slotStep(args: DecoderStepArgs, past: SlotKvCache | null): Promise<{ logits: Float32Array; present: KvCache }> {
    const { batch, seq } = args;
    const { nLayers } = this.config;
    const H = this.kvHeads;
    const D = this.headDim;
    const pastLength = past?.pastLength ?? 0;
    const total = pastLength + seq;
    const slotCount = past?.capacity ?? 1;
    // attention_mask: the past slots' validity (unused slots 0), then the step's own tokens.
    const mask = new BigInt64Array(batch * (slotCount + seq));
    for (let b = 0; b < batch; b++) {
      for (let j = 0; j < pastLength; j++) mask[b * (slotCount + seq) + j] = BigInt(args.attentionMask[b * total + j]!);
      for (let j = 0; j < seq; j++) mask[b * (slotCount + seq) + slotCount + j] = BigInt(args.attentionMask[b * total + pastLength + j]!);
    }
    const T = this.ort.Tensor;
    const feeds: Record<string, Ort.Tensor> = {
      input_ids: new T('int64', toInt64(args.inputIds), [batch, seq]),
      position_ids: new T('int64', toInt64(args.positionIds), [batch, seq]),
      attention_mask: new T('int64', mask, [batch, slotCount + seq]),
    };
    const empty = past ? null : this.pastFor(batch);
    const dims = [batch, H, slotCount, D];
    for (let i = 0; i < 2 * nLayers; i++) {
      const name = i % 2 === 0 ? pastKeyName(i >> 1) : pastValueName(i >> 1);
      feeds[name] = past ? new T('float32', past.buffers[i]!, dims) : empty![i]!;
    }
    const out = await this.session.run(feeds);
    const logits = await this.lastLogits(out, batch);
    // Where the extended cache lives: past's own buffers when the caller gave them up and they have room, at their
    // stride or (when the stride is full but the storage behind it is not) re-strided in place; else new buffers.
    let capacity: number;
    let buffers: readonly Float32Array[];
    const room = past && args.extendInPlace ? this.roomOf(past) : 0;
    if (past && args.extendInPlace && past.capacity >= total) {
      capacity = past.capacity;
      buffers = past.buffers;
      past.markExtended();
    } else if (past && room >= total) {
      capacity = Math.min(room, total + SLOT_GROWTH);
      buffers = past.buffers.map((buffer) => restride(buffer, batch * H, past.capacity, capacity, pastLength * D, D));
      past.markExtended();
    } else {
      const reserve = Math.min(this.config.contextLength, Math.max(total, args.reserve ?? total, past ? Math.ceil(past.capacity * 1.5) : 0));
      capacity = Math.min(reserve, total + SLOT_GROWTH);
      buffers = this.slotBuffers(batch * H * capacity * D, batch * H * reserve * D);
      if (past) {
        for (let i = 0; i < 2 * nLayers; i++) copyRows(past.buffers[i]!, past.capacity, buffers[i]!, capacity, batch * H, 0, pastLength * D, D);
        if (args.extendInPlace) past.dispose();
      }
    }
    for (let i = 0; i < 2 * nLayers; i++) {
      const name = i % 2 === 0 ? newKeyName(i >> 1) : newValueName(i >> 1);
      const fresh = out[name];
      if (!fresh) throw new JudgekitError('model', `the slot decoder graph has no ${name} output.`);
      copyRows(fresh.data as Float32Array, seq, buffers[i]!, capacity, batch * H, pastLength, seq * D, D);
    }
    return { logits, present: new SlotKvCache(total, batch, this, capacity, buffers) };
  }

  /** The cache with only `rows` kept (ascending): rows move down in place, so nothing is allocated. */
  private keepSlotRows(cache: KvCache, rows: readonly number[]): KvCache {
    if (!(cache instanceof SlotKvCache && cache.owner === this) || cache.isDisposed) {
      throw new JudgekitError('input', 'keepRows: the cache was not produced by this session, or was disposed.');
    }
    rows.forEach((row, i) => {
      if (!Number.isInteger(row) || row < 0 || row >= cache.batch || (i > 0 && row <= rows[i - 1]!)) {
        throw new JudgekitError('input', `keepRows: rows must be ascending indices below ${cache.batch}; got ${JSON.stringify(rows)}.`);
      }
    });
    const block = this.kvHeads * cache.capacity * this.headDim;
    for (const buffer of cache.buffers) {
      rows.forEach((row, i) => {
        if (row !== i) buffer.copyWithin(i * block, row * block, (row + 1) * block);
      });
    }
    cache.markExtended();
    return new SlotKvCache(
      cache.pastLength,
      rows.length,
      this,
      cache.capacity,
      cache.buffers.map((buffer) => buffer.subarray(0, rows.length * block)),
    );
  }

  /** Slots per row the storage behind a slot cache's buffers holds (the buffers are views from its start). */
  private roomOf(cache: SlotKvCache): number {
    return Math.floor(cache.buffers[0]!.buffer.byteLength / 4 / (cache.batch * this.kvHeads * this.headDim));
  }

  /**
   * Zeroed slot buffers of `length` floats each, views from the start of storage of at least `storage` floats:
   * recycled storage when big enough (unused slots must hold finite values).
   */
  private slotBuffers(length: number, storage: number): Float32Array[] {
    const spare = this.spare;
    if (spare && spare[0]!.length >= storage) {
      this.spare = null;
      return spare.map((buffer) => buffer.subarray(0, length).fill(0));
    }
    return Array.from({ length: 2 * this.config.nLayers }, () => new Float32Array(storage).subarray(0, length));
  }

  recycle(buffers: readonly Float32Array[]): void {
    const whole = buffers.map((b) => new Float32Array(b.buffer, 0, b.buffer.byteLength / 4));
    if (!this.spare || this.spare[0]!.length < whole[0]!.length) this.spare = whole;
  }

  private async lastLogits(out: Ort.InferenceSession.OnnxValueMapType, batch: number): Promise<Float32Array> {
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
    return logits;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/**
 * Slots a slot cache's stride runs ahead of its filled length. Each step reads every slot of the stride (attention
 * over masked slots is memory traffic, not free: `npm run bench -- decode-steps`), and each growth moves the L
 * filled slots once. G slots ahead, a step reads G/2 masked slots on average and every G steps L slots move, so the
 * traffic is least near G = 2 sqrt(L): about 27 for the study's answers (L about 180 on average).
 */
const SLOT_GROWTH = 32;

/**
 * `buffer` holds `rows` runs of `from` slots of `slotWidth` floats, the first `filled` floats of each run in use; the
 * same rows at a stride of `to` (> from) slots in the same storage, moved last row first so nothing is overwritten
 * before it moves, the slots past `filled` zeroed.
 */
function restride(buffer: Float32Array, rows: number, from: number, to: number, filled: number, slotWidth: number): Float32Array {
  const view = new Float32Array(buffer.buffer, buffer.byteOffset, rows * to * slotWidth);
  for (let r = rows - 1; r >= 0; r--) {
    const target = r * to * slotWidth;
    view.copyWithin(target, r * from * slotWidth, r * from * slotWidth + filled);
    view.fill(0, target + filled, target + to * slotWidth);
  }
  return view;
}

/**
 * Copy `rows` runs of `count` floats: run r goes from `source` at r * sourceSlots * rowWidth to `target` at
 * (r * targetSlots + targetSlot) * rowWidth (rows are (batch, head) pairs; a slot is one position's head_dim floats).
 */
function copyRows(source: Float32Array, sourceSlots: number, target: Float32Array, targetSlots: number, rows: number, targetSlot: number, count: number, rowWidth: number): void {
  for (let r = 0; r < rows; r++) {
    const from = r * sourceSlots * rowWidth;
    const to = (r * targetSlots + targetSlot) * rowWidth;
    // A decode step's run is one slot (64 floats for GPT-2): a plain loop, without a view object per run.
    if (count <= 256) for (let k = 0; k < count; k++) target[to + k] = source[from + k]!;
    else target.set(source.subarray(from, from + count), to);
  }
}

/** Open a decoder session for a loaded checkpoint, a safetensors path or an ONNX path. */
export async function createGpt2DecoderSession(model: LoadedModel | string, options: DecoderSessionOptions = {}): Promise<Gpt2DecoderSession> {
  const device = await resolveDevice(options.device ?? 'auto');
  const ort = await loadOrt();
  const isOnnx = typeof model === 'string' && isOnnxPath(model);
  let slots = (options.cache ?? (device === 'cpu' ? 'slots' : 'concat')) === 'slots' && !isOnnx;
  const source = await openableModel(model, slots ? 'decoder-slots' : 'decoder-last', options.configPath ? { configPath: options.configPath } : {});
  // An ONNX file is run with the interface it was built with.
  if (isOnnx) slots = source.kind === 'decoder-slots';
  const gpuOutputs: string[] = [];
  const nLayers = source.config?.nLayers;
  if (nLayers !== undefined && !slots) for (let i = 0; i < nLayers; i++) gpuOutputs.push(presentKeyName(i), presentValueName(i));
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
  if (!session.inputNames.includes(pastKeyName(0))) {
    await session.release();
    throw new JudgekitError(
      'model',
      `${String(model)} has no KV-cache inputs (past_key_values.0.key ...); generation needs a decoder with a cache: export it with past (optimum's text-generation-with-past) or give the safetensors checkpoint.`,
      ...(typeof model === 'string' ? [{ file: model }] : []),
    );
  }
  const { architecture, config } = source.config
    ? { architecture: source.architecture, config: source.config }
    : await foreignModelConfig(session, model as string, source.architecture, options.configPath);
  const tokenizer = await tokenizerOf(architecture, { path: source.path, config }).catch(async (error: unknown) => {
    await session.release();
    throw error;
  });
  const decoder = new OrtDecoderSession(ort, session, config, device, slots, tokenizer);
  // Pay first-run costs (weight pages, kernel set-up, shader compilation on WebGPU) while loading.
  const warm = await decoder.step({ inputIds: Int32Array.of(0), positionIds: Int32Array.of(0), attentionMask: Int32Array.of(1), batch: 1, seq: 1, past: null });
  warm.present.dispose();
  return decoder;
}

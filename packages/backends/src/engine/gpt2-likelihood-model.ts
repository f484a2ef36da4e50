// Per-token negative log-likelihoods on ONNX Runtime: the core `LikelihoodModel`. A judgekit loss graph computes
// NLL inside the runtime; a foreign ONNX decoder (logits only) falls back to log-sum-exp in JS, one row at a time,
// so [batch, seq, vocab] logits never pile up in JS memory.
import type { Device, LikelihoodModel, TokenLogLikelihoods, Tokenizer } from '@judgekit/core';
import { JudgekitError } from '@judgekit/core';
import type * as Ort from 'onnxruntime-node';
import { kvCacheDimensions, type LoadedModel, type ModelDimensions } from '../architectures/architecture.js';
import { tokenizerOf } from '../architectures/index.js';
import { pastKeyName, pastValueName } from '../architectures/decoder-io-names.js';
import { foreignModelConfig } from './gpt2-decoder-session.js';
import { openableModel } from './model-source.js';
import { loadOrt, resolveDevice, sessionOptions, type OrtModule, type ResolvedDevice } from './ort-runtime.js';
import { assertValidTokenIds, toInt64 } from './token-validation.js';

export interface LikelihoodModelOptions {
  device?: Device;
  threads?: number;
  configPath?: string;
  /**
   * Upper bound on batch x seq x vocab logits held by the runtime in one run (default 2^26 floats = 256 MB, one
   * 1024-token row of GPT-2's vocabulary): larger batches are split into row groups so peak memory stays bounded.
   * A row of 1024 tokens already keeps the MatMuls large enough to run at full speed.
   */
  maxLogitElements?: number;
}

export interface Gpt2LikelihoodModel extends LikelihoodModel {
  readonly config: ModelDimensions;
  /** The architecture's tokenizer, for test loss over text and JSONL documents. */
  readonly tokenizer: Tokenizer;
  readonly device: ResolvedDevice;
  /** 'graph' when NLL is computed in the runtime, 'js' when from a foreign model's logits. */
  readonly nllMode: 'graph' | 'js';
}

/** NLL of `target` under `logits` (one row of the vocabulary), log-sum-exp in float64. */
export function nllFromLogits(logits: Float32Array, offset: number, vocab: number, target: number): number {
  let max = -Infinity;
  for (let v = 0; v < vocab; v++) {
    const x = logits[offset + v]!;
    if (x > max) max = x;
  }
  let sum = 0;
  for (let v = 0; v < vocab; v++) sum += Math.exp(logits[offset + v]! - max);
  return Math.log(sum) + max - logits[offset + target]!;
}

function validate(config: ModelDimensions, inputs: Int32Array, targets: Int32Array, batch: number, sequence: number): void {
  if (!Number.isInteger(batch) || batch < 1 || !Number.isInteger(sequence) || sequence < 1) {
    throw new JudgekitError('input', `tokenNll: batch (${batch}) and sequence (${sequence}) must be positive integers.`);
  }
  if (inputs.length !== batch * sequence || targets.length !== batch * sequence) {
    throw new JudgekitError('input', `tokenNll: inputs and targets must hold batch*sequence = ${batch * sequence} ids (got ${inputs.length} and ${targets.length}).`);
  }
  if (sequence > config.contextLength) {
    throw new JudgekitError('input', `tokenNll: sequence ${sequence} exceeds the model's context length ${config.contextLength}.`);
  }
  assertValidTokenIds(inputs, config.vocabSize, 'tokenNll inputs', { sequence });
  assertValidTokenIds(targets, config.vocabSize, 'tokenNll targets', { sequence, allowIgnore: true });
}

/** What both ways of computing NLL share: one ONNX Runtime session over a model of known shape. */
abstract class SessionLikelihoodModel {
  constructor(
    protected readonly ort: OrtModule,
    protected readonly session: Ort.InferenceSession,
    readonly config: ModelDimensions,
    readonly device: ResolvedDevice,
    readonly tokenizer: Tokenizer,
  ) {}

  get contextLength(): number {
    return this.config.contextLength;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

class GraphLikelihoodModel extends SessionLikelihoodModel implements Gpt2LikelihoodModel {
  readonly nllMode = 'graph' as const;

  constructor(ort: OrtModule, session: Ort.InferenceSession, config: ModelDimensions, device: ResolvedDevice, tokenizer: Tokenizer, private readonly maxLogitElements: number) {
    super(ort, session, config, device, tokenizer);
  }

  async tokenNll(inputs: Int32Array, targets: Int32Array, batch: number, sequence: number): Promise<TokenLogLikelihoods> {
    validate(this.config, inputs, targets, batch, sequence);
    const nll = new Float32Array(batch * sequence);
    const rowsPerRun = Math.max(1, Math.floor(this.maxLogitElements / (sequence * this.config.vocabSize)));
    for (let row = 0; row < batch; row += rowsPerRun) {
      const rows = Math.min(rowsPerRun, batch - row);
      const slice = (a: Int32Array) => a.subarray(row * sequence, (row + rows) * sequence);
      const out = await this.session.run({
        input_ids: new this.ort.Tensor('int64', toInt64(slice(inputs)), [rows, sequence]),
        targets: new this.ort.Tensor('int64', toInt64(slice(targets)), [rows, sequence]),
      });
      const result = out.nll;
      if (!result) throw new JudgekitError('model', 'the loss graph has no `nll` output.');
      nll.set(result.data as Float32Array, row * sequence);
    }
    return { nll, batch, sequence };
  }
}

/** NLL from a decoder's logits, one row per run, for ONNX files without an `nll` output. */
class LogitsLikelihoodModel extends SessionLikelihoodModel implements Gpt2LikelihoodModel {
  readonly nllMode = 'js' as const;

  async tokenNll(inputs: Int32Array, targets: Int32Array, batch: number, sequence: number): Promise<TokenLogLikelihoods> {
    validate(this.config, inputs, targets, batch, sequence);
    const nll = new Float32Array(batch * sequence);
    const V = this.config.vocabSize;
    const { heads: H, headDim: D } = kvCacheDimensions(this.config);
    const names = new Set(this.session.inputNames);
    const positions = toInt64(Int32Array.from({ length: sequence }, (_, i) => i));
    for (let row = 0; row < batch; row++) {
      const T = this.ort.Tensor;
      const feeds: Record<string, Ort.Tensor> = { input_ids: new T('int64', toInt64(inputs.subarray(row * sequence, (row + 1) * sequence)), [1, sequence]) };
      if (names.has('attention_mask')) feeds.attention_mask = new T('int64', new BigInt64Array(sequence).fill(1n), [1, sequence]);
      if (names.has('position_ids')) feeds.position_ids = new T('int64', positions, [1, sequence]);
      if (names.has('use_cache_branch')) feeds.use_cache_branch = new T('bool', new Uint8Array([0]), [1]);
      for (let i = 0; i < this.config.nLayers; i++) {
        if (names.has(pastKeyName(i))) feeds[pastKeyName(i)] = new T('float32', new Float32Array(0), [1, H, 0, D]);
        if (names.has(pastValueName(i))) feeds[pastValueName(i)] = new T('float32', new Float32Array(0), [1, H, 0, D]);
      }
      const out = await this.session.run(feeds, ['logits']);
      const logits = out.logits?.data as Float32Array | undefined;
      if (!logits || logits.length !== sequence * V) {
        throw new JudgekitError('model', `the model's logits output is not [1, ${sequence}, ${V}]; is it a full-sequence decoder (not a last-position one)?`);
      }
      for (let t = 0; t < sequence; t++) {
        const target = targets[row * sequence + t]!;
        nll[row * sequence + t] = target === -100 ? 0 : nllFromLogits(logits, t * V, V, target);
      }
    }
    return { nll, batch, sequence };
  }
}

/** Open a likelihood model for a loaded checkpoint, a safetensors path or an ONNX path. */
export async function createGpt2LikelihoodModel(model: LoadedModel | string, options: LikelihoodModelOptions = {}): Promise<Gpt2LikelihoodModel> {
  const device = await resolveDevice(options.device ?? 'auto');
  const ort = await loadOrt();
  const source = await openableModel(model, 'loss', { ...(options.configPath ? { configPath: options.configPath } : {}), graph: { executionProvider: device } });
  let session: Ort.InferenceSession;
  try {
    const settings = sessionOptions({ device, ...(options.threads ? { threads: options.threads } : {}) });
    session = typeof source.model === 'string' ? await ort.InferenceSession.create(source.model, settings) : await ort.InferenceSession.create(source.model, settings);
  } catch (error) {
    throw new JudgekitError('model', `ONNX Runtime could not open the model${typeof source.model === 'string' ? ` ${source.model}` : ''}: ${(error as Error).message}`, {
      ...(typeof model === 'string' ? { file: model } : {}),
      cause: error,
    });
  } finally {
    await source.cleanup();
  }
  if (session.outputNames.includes('nll') && session.inputNames.includes('targets')) {
    if (!source.config) {
      await session.release();
      throw new JudgekitError('model', `${String(model)} has an nll output but no judgekit config metadata; rebuild it with \`judgekit convert --kind loss\`.`);
    }
    const tokenizer = await tokenizerOf(source.architecture, { path: source.path, config: source.config }).catch(async (error: unknown) => {
      await session.release();
      throw error;
    });
    const likelihood = new GraphLikelihoodModel(ort, session, source.config, device, tokenizer, options.maxLogitElements ?? 2 ** 26);
    // One 1-token run pays the first-run costs (touching every weight page, the kernels' lazy set-up) while
    // loading, not in the first measured batch: on the development machine the first 8x128 batch of a 124M model
    // took 14.6 s, later ones 3-4 s.
    await likelihood.tokenNll(Int32Array.of(0), Int32Array.of(0), 1, 1);
    return likelihood;
  }
  if (!session.outputNames.includes('logits')) {
    await session.release();
    throw new JudgekitError('model', `${String(model)} has neither an \`nll\` nor a \`logits\` output; it is not a language model export.`);
  }
  if (source.kind === 'decoder-last') {
    await session.release();
    throw new JudgekitError('model', `${String(model)} is a last-position decoder (its logits hold one position); convert with \`--kind loss\` or \`--kind decoder\` for loss evaluation.`);
  }
  const { architecture, config } = source.config
    ? { architecture: source.architecture, config: source.config }
    : await foreignModelConfig(session, model as string, source.architecture, options.configPath);
  const tokenizer = await tokenizerOf(architecture, { path: source.path, config }).catch(async (error: unknown) => {
    await session.release();
    throw error;
  });
  return new LogitsLikelihoodModel(ort, session, config, device, tokenizer);
}

// One model being trained, whatever its architecture: the gradient graph and the evaluation graph the architecture
// builds and the AdamW graph in ONNX Runtime sessions, the parameters and AdamW moments in buffers reused from step
// to step, and gradient accumulation.
import * as ort from 'onnxruntime-node';
import { JudgekitError, parseDevice, type Device } from '@judgekit/core';
import type { Architecture, ModelDimensions } from '../architectures/architecture.js';
import { gradientName } from '../architectures/architecture.js';
import { defaultArchitecture } from '../architectures/index.js';
import { defaultThreadCount } from '../engine/ort-runtime.js';
import { adamWScalars, adamWStepInPlace, buildAdamWGraph, checkAdamWConfig, type AdamWConfig } from './adamw.js';
import { assertParameters, elementCount, type ModelParameters, type ParameterSpec } from './model-parameters.js';

/** The trainer runs where it is told; `auto` trains on the CPU. */
export type TrainingDevice = Device;

/** A batch of token ids and targets, [batch, seq] row-major; target -100 is ignored. */
export interface TokenBatch {
  inputs: ArrayLike<number>;
  targets: ArrayLike<number>;
  batch: number;
  seq: number;
}

export interface BatchLoss {
  /** Mean cross-entropy over the batch's non-ignored targets. */
  loss: number;
  /** Number of non-ignored targets. */
  tokens: number;
}

/** AdamW state: moments per parameter (same order and sizes as the parameters) and the number of steps taken. */
export interface AdamWState {
  step: number;
  m: Map<string, Float32Array>;
  v: Map<string, Float32Array>;
}

export interface Gpt2TrainerOptions {
  shape: ModelDimensions;
  /** The model's family, which builds the training graphs; default GPT-2. */
  architecture?: Architecture;
  /** Initial weights; the trainer takes ownership of these buffers and updates them in place. */
  parameters: ModelParameters;
  optimizer: AdamWConfig;
  device?: TrainingDevice;
  /** Intra-op threads for the CPU provider; default ONNX Runtime's (all cores). */
  threads?: number;
  /** Restore moments and step (resume); the trainer takes ownership of these buffers too. */
  optimizerState?: AdamWState;
  /**
   * Where AdamW runs: `host` (default) updates the host buffers in place in one pass; `graph` runs the AdamW ONNX
   * graph per tensor on the session's provider (the path for weights that stay on a GPU).
   */
  optimizerOn?: 'host' | 'graph';
}

/** ONNX Runtime's execution providers carry the device names; `auto` trains on the CPU. */
function executionProviders(device: TrainingDevice): string[] {
  const checked = parseDevice(device);
  return [checked === 'auto' ? 'cpu' : checked];
}

async function createSession(model: Uint8Array, device: TrainingDevice, threads: number | undefined): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(model, {
      executionProviders: executionProviders(device),
      // Without the CPU arena, a step's activations go back to the system after each run: with it, the arena kept
      // growing step after step (8.8 GB after two GPT-2-small steps at 8 x 256, against 7.2 GB peak without; since the
      // training graph's schedule change 6.4 GB held with it, 4.4 GB peak without: docs/training.md).
      enableCpuMemArena: false,
      graphOptimizationLevel: 'all',
      // Warnings only say that shape ops run on the CPU next to a GPU provider; keep logs readable.
      logSeverityLevel: 3,
      // Stated rather than ONNX Runtime's default (0), which ran matmuls up to 2.8x slower on the 2-core machine.
      intraOpNumThreads: threads ?? defaultThreadCount(),
      interOpNumThreads: 1,
    });
  } catch (error) {
    const hint =
      device === 'webgpu'
        ? 'no WebGPU adapter? Install a Vulkan driver (e.g. mesa-vulkan-drivers) or use --device cpu'
        : device === 'cuda'
          ? 'the CUDA provider needs onnxruntime-node installed with its CUDA binaries and a GPU; or use --device cpu'
          : 'check the ONNX Runtime installation';
    throw new JudgekitError('device', `Cannot start ONNX Runtime on device "${device}": ${(error as Error).message} (${hint}).`, { cause: error });
  }
}

function toInt64(values: ArrayLike<number>): BigInt64Array {
  const out = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = BigInt(values[i] as number);
  return out;
}

function checkBatch(batch: TokenBatch, shape: ModelDimensions): void {
  const n = batch.batch * batch.seq;
  if (batch.inputs.length !== n || batch.targets.length !== n) {
    throw new JudgekitError('internal', `Token batch [${batch.batch}, ${batch.seq}] needs ${n} inputs and targets, got ${batch.inputs.length} and ${batch.targets.length}.`);
  }
  if (batch.seq > shape.contextLength) {
    throw new JudgekitError('input', `A batch of ${batch.seq} tokens per row is longer than the context length ${shape.contextLength}: truncate it.`);
  }
}

export class Gpt2Trainer {
  readonly shape: ModelDimensions;
  readonly architecture: Architecture;
  readonly device: TrainingDevice;
  readonly specs: readonly ParameterSpec[];
  readonly optimizer: AdamWConfig;
  readonly #params: ModelParameters;
  readonly #m: Map<string, Float32Array>;
  readonly #v: Map<string, Float32Array>;
  readonly #grads = new Map<string, Float32Array>();
  readonly #microGrads = new Map<string, Float32Array>();
  #step: number;
  #accumulated = 0;
  #scratch: { param: Float32Array; m: Float32Array; v: Float32Array } | undefined;

  private constructor(
    options: Gpt2TrainerOptions,
    readonly trainSession: ort.InferenceSession,
    readonly evalSession: ort.InferenceSession,
    readonly adamSession: ort.InferenceSession | undefined,
  ) {
    this.shape = options.shape;
    this.architecture = options.architecture ?? defaultArchitecture();
    this.device = options.device ?? 'cpu';
    this.optimizer = { ...options.optimizer };
    this.specs = this.architecture.training.parameterSpecs(options.shape);
    this.#params = options.parameters;
    this.#step = options.optimizerState?.step ?? 0;
    this.#m = new Map();
    this.#v = new Map();
    for (const spec of this.specs) {
      const n = elementCount(spec.shape);
      const m = options.optimizerState?.m.get(spec.name);
      const v = options.optimizerState?.v.get(spec.name);
      if (options.optimizerState && (!m || !v || m.length !== n || v.length !== n)) {
        throw new JudgekitError('run-store', `Optimizer state has no moments of the right size for ${spec.name}: the resume state does not match this model.`);
      }
      // Taken over, not copied (1 GB for GPT-2 small): the caller hands the resume state's buffers to the trainer.
      this.#m.set(spec.name, m ?? new Float32Array(n));
      this.#v.set(spec.name, v ?? new Float32Array(n));
      this.#grads.set(spec.name, new Float32Array(n));
    }
  }

  static async create(options: Gpt2TrainerOptions): Promise<Gpt2Trainer> {
    const training = (options.architecture ?? defaultArchitecture()).training;
    assertParameters(training.parameterSpecs(options.shape), options.parameters);
    checkAdamWConfig(options.optimizer);
    const device = options.device ?? 'cpu';
    const train = await createSession(training.buildTrainGraph(options.shape, { backward: true }).toBytes(), device, options.threads);
    const evaluation = await createSession(training.buildTrainGraph(options.shape, { backward: false }).toBytes(), device, options.threads);
    const adam = options.optimizerOn === 'graph' ? await createSession(buildAdamWGraph(options.optimizer).toBytes(), device, options.threads) : undefined;
    return new Gpt2Trainer(options, train, evaluation, adam);
  }

  /** Live parameter buffers (updated in place by each optimizer step). Copy them to keep a snapshot. */
  get parameters(): ModelParameters {
    return this.#params;
  }

  /** Optimizer steps taken so far. */
  get step(): number {
    return this.#step;
  }

  /** Micro-batches whose gradients wait for the next `applyGradients`. */
  get pendingMicroBatches(): number {
    return this.#accumulated;
  }

  /**
   * The AdamW state: a copy by default; `{ copy: false }` gives the live buffers (for writing a checkpoint before the
   * next step, without a second gigabyte of moments for GPT-2 small).
   */
  optimizerState(options: { copy?: boolean } = {}): AdamWState {
    const copy = (map: Map<string, Float32Array>): Map<string, Float32Array> =>
      options.copy === false ? new Map(map) : new Map([...map].map(([k, v]) => [k, v.slice()]));
    return { step: this.#step, m: copy(this.#m), v: copy(this.#v) };
  }

  /** Replace the weights (e.g. restore the best epoch) without touching optimizer state. */
  setParameters(params: ModelParameters): void {
    assertParameters(this.specs, params);
    for (const spec of this.specs) (this.#params.get(spec.name) as Float32Array).set(params.get(spec.name) as Float32Array);
  }

  #feeds(batch: TokenBatch): Record<string, ort.Tensor> {
    checkBatch(batch, this.shape);
    const feeds: Record<string, ort.Tensor> = {};
    for (const spec of this.specs) feeds[spec.name] = new ort.Tensor('float32', this.#params.get(spec.name) as Float32Array, spec.shape);
    feeds.input_ids = new ort.Tensor('int64', toInt64(batch.inputs), [batch.batch, batch.seq]);
    feeds.targets = new ort.Tensor('int64', toInt64(batch.targets), [batch.batch, batch.seq]);
    return feeds;
  }

  /** Loss of a batch without gradients. */
  async evaluate(batch: TokenBatch): Promise<BatchLoss> {
    const out = await this.evalSession.run(this.#feeds(batch));
    return { loss: (out.loss?.data as Float32Array)[0] as number, tokens: (out.count?.data as Float32Array)[0] as number };
  }

  /**
   * Loss and gradients of one micro-batch; the gradients are added to those waiting for `applyGradients`
   * (which averages them over the micro-batches, as dividing each micro-batch loss by K does in PyTorch).
   */
  async accumulateGradients(batch: TokenBatch): Promise<BatchLoss> {
    // The first micro-batch writes straight into the gradient buffers; later ones into a second set (made only when
    // accumulating) that is then added in.
    const first = this.#accumulated === 0;
    if (!first && this.#microGrads.size === 0) {
      for (const spec of this.specs) this.#microGrads.set(spec.name, new Float32Array(elementCount(spec.shape)));
    }
    const target = first ? this.#grads : this.#microGrads;
    const training = this.architecture.training;
    const fetches: Record<string, ort.Tensor | null> = { loss: null, count: null };
    for (const name of training.hostGradientOutputs) fetches[name] = null;
    for (const spec of this.specs) {
      if (training.graphHasGradient(this.shape, spec.name)) fetches[gradientName(spec.name)] = new ort.Tensor('float32', target.get(spec.name) as Float32Array, spec.shape);
    }
    const out = await this.trainSession.run(this.#feeds(batch), fetches);
    const hostOutputs = Object.fromEntries(training.hostGradientOutputs.map((name) => [name, out[name]?.data as Float32Array]));
    training.completeGradients(this.shape, target, batch, hostOutputs);
    if (!first) {
      for (const spec of this.specs) {
        const sum = this.#grads.get(spec.name) as Float32Array;
        const grad = this.#microGrads.get(spec.name) as Float32Array;
        for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as number) + (grad[i] as number);
      }
    }
    this.#accumulated += 1;
    return { loss: (out.loss?.data as Float32Array)[0] as number, tokens: (out.count?.data as Float32Array)[0] as number };
  }

  /** The gradients waiting for the next step, summed over micro-batches (tests read them). */
  get gradients(): ReadonlyMap<string, Float32Array> {
    return this.#grads;
  }

  /** One AdamW step with the mean of the accumulated micro-batch gradients. */
  async applyGradients(): Promise<void> {
    if (this.#accumulated === 0) throw new JudgekitError('internal', 'applyGradients() called with no accumulated gradients.');
    const gradients = this.#grads;
    const gradScale = 1 / this.#accumulated;
    this.#step += 1;
    const { decay, stepSize, biasCorrection2Sqrt } = adamWScalars(this.optimizer, this.#step);
    if (!this.adamSession) {
      const scalars = { decay, stepSize, biasCorrection2Sqrt };
      for (const spec of this.specs) {
        const name = spec.name;
        adamWStepInPlace(this.optimizer, scalars, this.#params.get(name) as Float32Array, gradients.get(name) as Float32Array, this.#m.get(name) as Float32Array, this.#v.get(name) as Float32Array, gradScale);
      }
      this.#accumulated = 0;
      return;
    }
    const adam = this.adamSession;
    const scalar = (value: number): ort.Tensor => new ort.Tensor('float32', new Float32Array([value]), []);
    const scalars = { decay: scalar(decay), step_size: scalar(stepSize), bc2_sqrt: scalar(biasCorrection2Sqrt), grad_scale: scalar(gradScale) };
    const largest = Math.max(...this.specs.map((spec) => elementCount(spec.shape)));
    this.#scratch ??= { param: new Float32Array(largest), m: new Float32Array(largest), v: new Float32Array(largest) };
    const scratch = this.#scratch;
    for (const spec of this.specs) {
      const n = elementCount(spec.shape);
      const param = this.#params.get(spec.name) as Float32Array;
      const m = this.#m.get(spec.name) as Float32Array;
      const v = this.#v.get(spec.name) as Float32Array;
      const flat = (data: Float32Array): ort.Tensor => new ort.Tensor('float32', data, [n]);
      // Outputs go to scratch views and are copied back, since ORT does not promise that an output may alias an
      // input buffer; the copy is a few hundred MB of memcpy per step for GPT-2 small, next to seconds of compute.
      const outParam = scratch.param.subarray(0, n);
      const outM = scratch.m.subarray(0, n);
      const outV = scratch.v.subarray(0, n);
      await adam.run(
        { param: flat(param), grad: flat(gradients.get(spec.name) as Float32Array), m: flat(m), v: flat(v), ...scalars },
        { param_out: flat(outParam), m_out: flat(outM), v_out: flat(outV) },
      );
      param.set(outParam);
      m.set(outM);
      v.set(outV);
    }
    this.#accumulated = 0;
  }

  async dispose(): Promise<void> {
    await Promise.all([this.trainSession.release(), this.evalSession.release(), this.adamSession?.release()]);
  }
}

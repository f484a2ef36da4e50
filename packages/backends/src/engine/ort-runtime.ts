// Loads onnxruntime-node lazily (so importing @judgekit/backends never loads the native module) and resolves
// devices: core's frozen device map (whose names are ONNX Runtime's execution providers), a priority list for
// `auto`, and probes run once.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { DEVICES, JudgekitError, parseDevice, type Device } from '@judgekit/core';
import type * as Ort from 'onnxruntime-node';
import { OnnxDataType, OnnxGraphBuilder } from '../onnx/graph-builder.js';

// The device map and its parser live in core; re-exported for callers of this module.
export { DEVICES, parseDevice };

export type OrtModule = typeof Ort;
export type ResolvedDevice = Exclude<Device, 'auto'>;

/** `auto` picks the first available of these. */
export const DEVICE_PRIORITY: readonly ResolvedDevice[] = Object.freeze(['cuda', 'webgpu', 'cpu'] as const);

/** The execution provider ONNX Runtime runs a device on: the device's own name. */
function executionProvider(device: ResolvedDevice): string {
  return device;
}

let ortPromise: Promise<OrtModule> | undefined;

export function loadOrt(): Promise<OrtModule> {
  ortPromise ??= import('onnxruntime-node').then(
    (m) => ((m as unknown as { default?: OrtModule }).default?.InferenceSession ? (m as unknown as { default: OrtModule }).default : (m as OrtModule)),
    (error: unknown) => {
      ortPromise = undefined;
      throw new JudgekitError('device', `cannot load onnxruntime-node: ${(error as Error).message}. Install it with \`npm install onnxruntime-node\`.`, { cause: error });
    },
  );
  return ortPromise;
}

/** Where onnxruntime-node keeps its native libraries (the CUDA provider is downloaded there by its installer). */
function ortBinaryDir(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const main = require.resolve('onnxruntime-node');
    return join(dirname(main), '..', 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return undefined;
  }
}

/** A one-node model, to check that a provider really initialises. */
function probeModel(): Uint8Array {
  const b = new OnnxGraphBuilder('probe', 17);
  const x = b.input('x', OnnxDataType.FLOAT, [1, 4]);
  b.output(b.op('Add', [x, x]), 'y', OnnxDataType.FLOAT, [1, 4]);
  return b.toBytes();
}

const probes = new Map<ResolvedDevice, Promise<string | null>>();

/** null when the device works, else the reason it does not (probed once per process). */
export function deviceUnavailableReason(device: ResolvedDevice): Promise<string | null> {
  let probe = probes.get(device);
  if (!probe) {
    probe = probeDevice(device);
    probes.set(device, probe);
  }
  return probe;
}

async function probeDevice(device: ResolvedDevice): Promise<string | null> {
  if (device === 'cpu') return null;
  if (device === 'cuda') {
    if (process.platform !== 'linux' || process.arch !== 'x64') return 'the CUDA provider of onnxruntime-node exists only for Linux x64';
    const dir = ortBinaryDir();
    if (!dir || !existsSync(join(dir, 'libonnxruntime_providers_cuda.so'))) {
      return 'the CUDA provider of onnxruntime-node is not installed (run `ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js` in your project; it needs CUDA 12 and cuDNN 9, see docs/models.md)';
    }
  }
  const ort = await loadOrt();
  try {
    const session = await ort.InferenceSession.create(probeModel(), { executionProviders: [executionProvider(device)], logSeverityLevel: 3 });
    try {
      const x = new ort.Tensor('float32', new Float32Array([1, 2, 3, 4]), [1, 4]);
      const out = await session.run({ x });
      const y = out.y?.data as Float32Array | undefined;
      if (!y || y[3] !== 8) return `${device} produced a wrong result in the probe`;
    } finally {
      await session.release();
    }
    return null;
  } catch (error) {
    const message = (error as Error).message.split('\n')[0] ?? '';
    if (device === 'webgpu') return `no WebGPU adapter: install a Vulkan driver or use --device cpu (${message})`;
    return `${device} failed to initialise: ${message}`;
  }
}

/**
 * On Linux, a WebGPU adapter without a GPU device node can only be a software one (Mesa's lavapipe): it passes the
 * probe but runs far slower than the CPU provider, so `auto` passes it over. An explicit `webgpu` still uses it.
 */
function hasLinuxGpuDevice(): boolean {
  if (process.platform !== 'linux') return true;
  try {
    if (readdirSync('/dev/dri').some((name) => name.startsWith('renderD'))) return true;
  } catch {
    // no DRM devices
  }
  return existsSync('/dev/nvidia0');
}

/** Resolve `auto` to the first available device; check an explicit one is usable. */
export async function resolveDevice(device: Device = 'auto'): Promise<ResolvedDevice> {
  parseDevice(device);
  if (device !== 'auto') {
    const reason = await deviceUnavailableReason(device);
    if (reason) throw new JudgekitError('device', `device "${device}" is not available: ${reason}.`);
    return device;
  }
  for (const candidate of DEVICE_PRIORITY) {
    if (candidate === 'webgpu' && !hasLinuxGpuDevice()) continue;
    if ((await deviceUnavailableReason(candidate)) === null) return candidate;
  }
  return 'cpu';
}

export interface SessionSettings {
  device: ResolvedDevice;
  threads?: number;
  /** Output names to keep on the device (WebGPU), e.g. the KV cache. */
  gpuOutputs?: readonly string[];
}

/** Intra-op threads when none are given: every CPU this process may use. */
export function defaultThreadCount(): number {
  return Math.max(1, availableParallelism());
}

export function sessionOptions(settings: SessionSettings): Ort.InferenceSession.SessionOptions {
  const options: Ort.InferenceSession.SessionOptions = {
    executionProviders: [executionProvider(settings.device)],
    graphOptimizationLevel: 'all',
    // Memory patterns are planned per input shape: with a cache growing every decoding step, or row groups of
    // different lengths, they pile up, and on top of the arena they doubled peak memory (4.7 GB vs 2.2 GB for the
    // 124M loss graph at 1x1024). The arena alone reuses activation buffers across runs.
    enableMemPattern: false,
    // Warnings only add noise (e.g. shape ops placed on the CPU by design); errors still surface as exceptions.
    logSeverityLevel: 3,
    // One intra-op thread per CPU, stated: ONNX Runtime's own default (0) ran a 32-row decode step 30-40% slower on
    // the 2-core development machine (2.7 vs 1.7-2.1 ms per row and token), with about one core busy.
    intraOpNumThreads: settings.threads ?? defaultThreadCount(),
    interOpNumThreads: 1,
  };
  if (settings.device === 'webgpu' && settings.gpuOutputs?.length) {
    options.preferredOutputLocation = Object.fromEntries(settings.gpuOutputs.map((name) => [name, 'gpu-buffer' as const]));
  }
  return options;
}

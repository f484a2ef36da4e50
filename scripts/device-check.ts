// `scripts/device-check.sh [--models 124m,xl] [--devices webgpu,cuda] [--new-tokens N] [--seq N] [--allow-software]`:
// checks a machine's accelerators in a few minutes. For each GPT-2 shape (seeded random F32 weights, written to a temp
// dir and deleted afterwards) it runs test loss (one window) and greedy generation (a 32-token prompt, KV cache) on
// the CPU and on each accelerator ONNX Runtime can use here (WebGPU, and CUDA when its provider libraries are
// installed), and prints tokens/s side by side with the loss difference against the CPU. Without an accelerator it
// prints why and exits 0. A software WebGPU adapter (Mesa's lavapipe, no GPU device node) does not count unless
// --allow-software is given.
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { GPT2_SHAPES, tensorSpecs, writeCheckpoint, type Gpt2Size } from './bench/big.ts';

export type Accelerator = 'webgpu' | 'cuda';
const ACCELERATORS: readonly Accelerator[] = ['webgpu', 'cuda'];

export interface DeviceCheckOptions {
  models: Gpt2Size[];
  devices: Accelerator[];
  newTokens: number;
  seq: number;
  allowSoftware: boolean;
  help: boolean;
}

export const USAGE = `Usage: scripts/device-check.sh [--models 124m,xl] [--devices webgpu,cuda] [--new-tokens N] [--seq N] [--allow-software]
  --models          GPT-2 shapes to check, from ${Object.keys(GPT2_SHAPES).join(', ')} (default 124m,xl)
  --devices         accelerators to try, from ${ACCELERATORS.join(', ')} (default both; each only where present)
  --new-tokens      tokens generated per run (default 16)
  --seq             tokens in the loss window (default 256)
  --allow-software  count a software WebGPU adapter (lavapipe) as an accelerator (to try the script on a CPU machine)`;

/** Parse the command line; throws an Error with the usage on a bad argument. */
export function parseDeviceCheckArgs(argv: readonly string[]): DeviceCheckOptions {
  const options: DeviceCheckOptions = { models: ['124m', 'xl'], devices: [...ACCELERATORS], newTokens: 16, seq: 256, allowSoftware: false, help: false };
  const list = <T extends string>(name: string, raw: string | undefined, allowed: readonly T[]): T[] => {
    const items = (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const bad = items.filter((item) => !(allowed as readonly string[]).includes(item));
    if (items.length === 0 || bad.length > 0) throw new Error(`--${name} takes a comma-separated list of ${allowed.join(', ')}; got "${raw ?? ''}".\n${USAGE}`);
    return [...new Set(items)] as T[];
  };
  const count = (name: string, raw: string | undefined, max: number): number => {
    const value = Number(raw);
    if (raw === undefined || !/^\d+$/.test(raw) || value < 1 || value > max) throw new Error(`--${name} takes a whole number from 1 to ${max}; got "${raw ?? ''}".\n${USAGE}`);
    return value;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--models':
        options.models = list('models', value(), Object.keys(GPT2_SHAPES) as Gpt2Size[]);
        break;
      case '--devices':
        options.devices = list('devices', value(), ACCELERATORS);
        break;
      case '--new-tokens':
        options.newTokens = count('new-tokens', value(), 1024);
        break;
      case '--seq':
        options.seq = count('seq', value(), 1024);
        break;
      case '--allow-software':
        options.allowSoftware = true;
        break;
      case '--help':
      case '-h':
        options.help = true;
        break;
      default:
        throw new Error(`unknown argument "${arg}".\n${USAGE}`);
    }
  }
  return options;
}

/** A GPU device node (DRM render node or NVIDIA's); without one a WebGPU adapter can only be a software one. */
export function hasGpuDeviceNode(): boolean {
  if (process.platform !== 'linux') return true;
  try {
    if (readdirSync('/dev/dri').some((name) => name.startsWith('renderD'))) return true;
  } catch {
    // no DRM devices
  }
  return existsSync('/dev/nvidia0');
}

export interface Probe {
  /** null when the device works, else why not. */
  unavailable(device: Accelerator): Promise<string | null>;
  hasGpuDeviceNode(): boolean;
}

async function defaultProbe(): Promise<Probe> {
  const { deviceUnavailableReason } = await import('../packages/backends/src/engine/ort-runtime.ts');
  return { unavailable: (device) => deviceUnavailableReason(device), hasGpuDeviceNode };
}

/** The accelerators to run on, and why each other one is left out. */
export async function findAccelerators(options: Pick<DeviceCheckOptions, 'devices' | 'allowSoftware'>, probe: Probe): Promise<{ usable: Accelerator[]; skipped: string[] }> {
  const usable: Accelerator[] = [];
  const skipped: string[] = [];
  for (const device of options.devices) {
    if (device === 'webgpu' && !options.allowSoftware && !probe.hasGpuDeviceNode()) {
      skipped.push('webgpu: no GPU device node (/dev/dri/renderD*, /dev/nvidia0), so any WebGPU adapter here is a software one (--allow-software to use it anyway)');
      continue;
    }
    const reason = await probe.unavailable(device);
    if (reason) skipped.push(`${device}: ${reason}`);
    else usable.push(device);
  }
  return { usable, skipped };
}

interface Measured {
  device: string;
  loss: number;
  lossTokensPerSecond: number;
  generationTokensPerSecond: number;
  loadSeconds: number;
}

async function measure(checkpoint: string, device: 'cpu' | Accelerator, tokens: Int32Array, options: DeviceCheckOptions): Promise<Measured> {
  const { createGpt2LikelihoodModel } = await import('../packages/backends/src/engine/gpt2-likelihood-model.ts');
  const { createGpt2DecoderSession } = await import('../packages/backends/src/engine/gpt2-decoder-session.ts');
  const { generateTokens } = await import('../packages/backends/src/generation/batched-generation.ts');
  let t = performance.now();
  const likelihood = await createGpt2LikelihoodModel(checkpoint, { device });
  let loadSeconds = (performance.now() - t) / 1000;
  let loss: number;
  let lossSeconds: number;
  try {
    t = performance.now();
    const result = await likelihood.tokenNll(tokens.subarray(0, options.seq), tokens.subarray(1, options.seq + 1), 1, options.seq);
    lossSeconds = (performance.now() - t) / 1000;
    loss = result.nll.reduce((sum, x) => sum + x, 0) / result.nll.length;
  } finally {
    await likelihood.dispose();
  }
  t = performance.now();
  const decoder = await createGpt2DecoderSession(checkpoint, { device });
  loadSeconds += (performance.now() - t) / 1000;
  let generationSeconds: number;
  try {
    t = performance.now();
    const [completion] = await generateTokens(decoder, [[...tokens.subarray(0, 32)]], { maxNewTokens: options.newTokens, batchSize: 1 });
    generationSeconds = (performance.now() - t) / 1000;
    if ((completion?.length ?? 0) !== options.newTokens) throw new Error(`${device}: generated ${completion?.length ?? 0} tokens, expected ${options.newTokens}`);
  } finally {
    await decoder.dispose();
  }
  return { device, loss, lossTokensPerSecond: options.seq / lossSeconds, generationTokensPerSecond: options.newTokens / generationSeconds, loadSeconds };
}

/** Run the check; returns the exit code. */
export async function deviceCheck(argv: readonly string[], out: (line: string) => void = console.log, probe?: Probe): Promise<number> {
  let options: DeviceCheckOptions;
  try {
    options = parseDeviceCheckArgs(argv);
  } catch (error) {
    out(`device-check: ${(error as Error).message}`);
    return 2;
  }
  if (options.help) {
    out(USAGE);
    return 0;
  }
  const { usable, skipped } = await findAccelerators(options, probe ?? (await defaultProbe()));
  if (usable.length === 0) {
    out(`device-check: skipped: no accelerator to check (${skipped.join('; ')}).`);
    return 0;
  }
  for (const line of skipped) out(`device-check: not checking ${line}`);
  out(`device-check: ${usable.join(', ')} against the CPU, GPT-2 ${options.models.join(', ')}; loss on 1 x ${options.seq} tokens, greedy generation of ${options.newTokens} tokens after a 32-token prompt`);
  out('| model | device | loss tokens/s | generation tokens/s | load s | loss | loss - CPU loss |');
  out('| --- | --- | --- | --- | --- | --- | --- |');
  let failed = false;
  for (const size of options.models) {
    const shape = GPT2_SHAPES[size];
    const dir = await mkdtemp(join(tmpdir(), 'judgekit-device-check-'));
    try {
      const checkpoint = join(dir, 'model.safetensors');
      await writeCheckpoint(checkpoint, tensorSpecs(shape.layers, shape), 2026);
      await writeFile(join(dir, 'config.json'), JSON.stringify({ model_type: 'gpt2', vocab_size: shape.vocab, n_positions: shape.context, n_embd: shape.emb, n_layer: shape.layers, n_head: shape.heads, tie_word_embeddings: true }));
      let s = 7;
      const tokens = Int32Array.from({ length: Math.max(options.seq + 1, 33) }, () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % shape.vocab);
      let cpuLoss: number | undefined;
      for (const device of ['cpu', ...usable] as const) {
        try {
          const m = await measure(checkpoint, device, tokens, options);
          cpuLoss ??= m.loss;
          const diff = device === 'cpu' ? '' : (m.loss - cpuLoss).toExponential(2);
          out(`| ${size} | ${device} | ${m.lossTokensPerSecond.toFixed(1)} | ${m.generationTokensPerSecond.toFixed(2)} | ${m.loadSeconds.toFixed(1)} | ${m.loss.toFixed(6)} | ${diff} |`);
          if (device !== 'cpu' && Math.abs(m.loss - cpuLoss) > 1e-3 * Math.abs(cpuLoss)) {
            failed = true;
            out(`device-check: ${size} on ${device}: the loss differs from the CPU's by more than 0.1%`);
          }
        } catch (error) {
          failed = true;
          out(`| ${size} | ${device} | failed: ${(error as Error).message.split('\n')[0]} | | | | |`);
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return failed ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exit(await deviceCheck(process.argv.slice(2)));
}

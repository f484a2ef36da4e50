// The devices a backend may run on, as one frozen map: the names configs and flags accept, and what each means.
// Backends map them to their own runtimes (ONNX Runtime's execution providers, for the built-in one).
import { JudgekitError } from '../errors.js';

export const DEVICES = Object.freeze({
  auto: Object.freeze({ description: 'the best device the backend finds: a GPU where one works, else the CPU' }),
  cpu: Object.freeze({ description: 'the CPU' }),
  cuda: Object.freeze({ description: 'an NVIDIA GPU through CUDA' }),
  webgpu: Object.freeze({ description: 'any GPU through WebGPU (Vulkan, Metal or D3D12)' }),
});

export type Device = keyof typeof DEVICES;

export const DEVICE_NAMES: readonly Device[] = Object.freeze(Object.keys(DEVICES) as Device[]);

/** A device name from a flag or config; `undefined` is `auto`. */
export function parseDevice(value: string | undefined): Device {
  if (value === undefined) return 'auto';
  if (Object.hasOwn(DEVICES, value)) return value as Device;
  throw new JudgekitError('device', `Unsupported device "${value}". Should be one of: ${DEVICE_NAMES.join(', ')}.`);
}

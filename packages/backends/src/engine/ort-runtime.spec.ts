import { describe, expect, it } from 'vitest';
import { createTinyGpt2 } from '../architectures/gpt2/create-tiny-gpt2.js';
import { referenceLogits, referenceNll } from '../architectures/gpt2/gpt2-reference-forward.js';
import { createGpt2LikelihoodModel } from './gpt2-likelihood-model.js';
import { DEVICE_PRIORITY, DEVICES, deviceUnavailableReason, parseDevice, resolveDevice, sessionOptions } from './ort-runtime.js';

const cudaReason = await deviceUnavailableReason('cuda');

describe('devices', () => {
  it('is a frozen map with auto first and a priority list', () => {
    expect(Object.isFrozen(DEVICES)).toBe(true);
    expect(Object.keys(DEVICES)).toEqual(['auto', 'cpu', 'cuda', 'webgpu']);
    expect(DEVICE_PRIORITY).toEqual(['cuda', 'webgpu', 'cpu']);
  });

  it.each(['auto', 'cpu', 'cuda', 'webgpu'])('accepts %s', (name) => {
    expect(parseDevice(name)).toBe(name);
  });

  it('rejects an unknown device listing the valid ones', () => {
    expect(() => parseDevice('tpu')).toThrow('Unsupported device "tpu". Should be one of: auto, cpu, cuda, webgpu.');
  });

  it('resolves auto to an available device and cpu to cpu', async () => {
    expect(await resolveDevice('cpu')).toBe('cpu');
    const auto = await resolveDevice('auto');
    expect(DEVICE_PRIORITY).toContain(auto);
    expect(await deviceUnavailableReason(auto)).toBeNull();
  });

  it('asks for gpu-buffer outputs only on WebGPU', () => {
    expect(sessionOptions({ device: 'webgpu', gpuOutputs: ['present.0.key'] }).preferredOutputLocation).toEqual({ 'present.0.key': 'gpu-buffer' });
    expect(sessionOptions({ device: 'cpu', gpuOutputs: ['present.0.key'], threads: 3 })).toMatchObject({ intraOpNumThreads: 3, executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
  });

  it('explains why CUDA is unavailable, or has none to give', async () => {
    if (cudaReason) expect(cudaReason).toMatch(/CUDA|cuda/);
    else expect(await resolveDevice('cuda')).toBe('cuda');
  });
});

describe.skipIf(cudaReason !== null)(`CUDA${cudaReason ? ` (skipped: ${cudaReason})` : ''}`, () => {
  it('computes the same NLL as the reference', async () => {
    const tiny = await createTinyGpt2({ seed: 41 });
    const model = await createGpt2LikelihoodModel(tiny.model, { device: 'cuda' });
    const ids = [4, 9, 1, 33];
    const targets = [9, 1, 33, 2];
    const { nll } = await model.tokenNll(Int32Array.from(ids), Int32Array.from(targets), 1, 4);
    const logits = referenceLogits(tiny.model, ids);
    targets.forEach((t, i) => expect(Math.abs(nll[i]! - referenceNll(logits[i]!, t))).toBeLessThan(1e-4));
    await model.dispose();
  });
});

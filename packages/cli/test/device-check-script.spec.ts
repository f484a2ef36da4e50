// scripts/device-check.sh: its arguments, and a clean skip (exit 0 with the reason) on a machine without an
// accelerator. It never runs the model checks here (an XL check writes 6 GB), only the paths before them.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deviceCheck, findAccelerators, parseDeviceCheckArgs, type Probe } from '../../../scripts/device-check.ts';

const ROOT = resolve(import.meta.dirname, '../../..');

function script(args: string[]): Promise<{ code: number; stdout: string }> {
  const child = spawn('bash', [resolve(ROOT, 'scripts/device-check.sh'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  return new Promise((done) => child.on('close', (code) => done({ code: code ?? 1, stdout })));
}

/** A machine with no GPU device node and neither provider working. */
const NOTHING: Probe = {
  hasGpuDeviceNode: () => false,
  unavailable: async (device) => (device === 'cuda' ? 'the CUDA provider of onnxruntime-node is not installed' : 'no WebGPU adapter'),
};

describe('scripts/device-check', () => {
  it('checks 124m and xl on WebGPU and CUDA by default, and reads each option in both --name value and --name=value form', () => {
    expect(parseDeviceCheckArgs([])).toEqual({ models: ['124m', 'xl'], devices: ['webgpu', 'cuda'], newTokens: 16, seq: 256, allowSoftware: false, help: false });
    expect(parseDeviceCheckArgs(['--models', 'medium,xl', '--devices=cuda', '--new-tokens', '4', '--seq=64', '--allow-software'])).toEqual({
      models: ['medium', 'xl'],
      devices: ['cuda'],
      newTokens: 4,
      seq: 64,
      allowSoftware: true,
      help: false,
    });
  });

  it.each([
    [['--models', 'gpt5'], /--models takes a comma-separated list of 124m, medium, large, xl; got "gpt5"/],
    [['--devices', 'tpu'], /--devices takes a comma-separated list of webgpu, cuda; got "tpu"/],
    [['--new-tokens', '0'], /--new-tokens takes a whole number from 1 to 1024; got "0"/],
    [['--seq'], /--seq takes a whole number from 1 to 1024; got ""/],
    [['--fast'], /unknown argument "--fast"/],
  ])('refuses %j with a message naming the argument and the usage', (args, message) => {
    expect(() => parseDeviceCheckArgs(args)).toThrow(message);
    expect(() => parseDeviceCheckArgs(args)).toThrow(/Usage: scripts\/device-check\.sh/);
  });

  it('skips cleanly with exit 0 and each reason when no accelerator is usable, writing no checkpoint', async () => {
    const lines: string[] = [];
    const code = await deviceCheck([], (line) => lines.push(line), NOTHING);
    expect(code).toBe(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^device-check: skipped: no accelerator to check \(webgpu: no GPU device node .*software one .*; cuda: the CUDA provider of onnxruntime-node is not installed\)\.$/);
  });

  it('passes over a software WebGPU adapter unless --allow-software, and keeps the devices that work', async () => {
    const softwareOnly: Probe = { hasGpuDeviceNode: () => false, unavailable: async (device) => (device === 'webgpu' ? null : 'no CUDA') };
    expect(await findAccelerators({ devices: ['webgpu', 'cuda'], allowSoftware: false }, softwareOnly)).toMatchObject({ usable: [] });
    expect(await findAccelerators({ devices: ['webgpu', 'cuda'], allowSoftware: true }, softwareOnly)).toEqual({ usable: ['webgpu'], skipped: ['cuda: no CUDA'] });
    const gpu: Probe = { hasGpuDeviceNode: () => true, unavailable: async () => null };
    expect(await findAccelerators({ devices: ['webgpu', 'cuda'], allowSoftware: false }, gpu)).toEqual({ usable: ['webgpu', 'cuda'], skipped: [] });
  });

  it('runs as a shell script: --help prints the usage with exit 0, a bad argument exits 2', async () => {
    const help = await script(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: scripts\/device-check\.sh \[--models 124m,xl\]/);
    const bad = await script(['--models', 'huge']);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toMatch(/device-check: --models takes a comma-separated list/);
  });
});

// The resume state's checksum and damage reports: a bit-flipped or truncated resume.safetensors is refused with an
// error that names the file, says what is wrong and suggests --fresh; an intact one reads back exactly.
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JudgekitError } from '@judgekit/core';
import type { ParameterSpec } from '../architectures/architecture.js';
import { readResumeState, writeResumeState } from './resume-state.js';

const SPECS: ParameterSpec[] = [
  { name: 'wte.weight', shape: [6, 4] },
  { name: 'ln_f.bias', shape: [4] },
];
const META = { fingerprint: 'f'.repeat(16), epoch: 2, step: 17, finished: false, epochs: [] };

let dir: string;
let path: string;
let intact: Buffer;

function filled(count: number, seed: number): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => Math.sin(seed * 31 + i) * 0.5);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'judgekit-resume-state-'));
  path = join(dir, 'resume.safetensors');
  const size = (spec: ParameterSpec) => spec.shape.reduce((a, b) => a * b, 1);
  const params = new Map(SPECS.map((spec, i) => [spec.name, filled(size(spec), i + 1)]));
  const m = new Map(SPECS.map((spec, i) => [spec.name, filled(size(spec), i + 11)]));
  const v = new Map(SPECS.map((spec, i) => [spec.name, filled(size(spec), i + 21).map(Math.abs)]));
  await writeResumeState(path, params, { step: 17, m, v }, SPECS, META);
  intact = await readFile(path);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Write `bytes` as the resume state and return the error reading it gives (or undefined when it reads). */
async function readError(bytes: Buffer): Promise<JudgekitError | undefined> {
  await writeFile(path, bytes);
  try {
    await readResumeState(path, SPECS);
    return undefined;
  } catch (error) {
    return error as JudgekitError;
  }
}

/** The offset where the tensor data starts (after the 8-byte length and the JSON header). */
function dataStart(bytes: Buffer): number {
  return 8 + Number(bytes.readBigUInt64LE(0));
}

describe('resume state', () => {
  it('reads back the weights, moments, step and epoch it was written with, verified by its checksum', async () => {
    const state = await readResumeState(path, SPECS);
    expect(state.verified).toBe(true);
    expect(state.meta).toMatchObject({ version: 2, ...META });
    expect(state.state.step).toBe(17);
    expect(Array.from(state.params.get('wte.weight') ?? [])).toEqual(Array.from(filled(24, 1)));
    expect(Array.from(state.state.v.get('ln_f.bias') ?? [])).toEqual(Array.from(filled(4, 22).map(Math.abs)));
  });

  it('a single flipped bit in any tensor byte is refused with an error naming the file, the checksum and --fresh', async () => {
    const start = dataStart(intact);
    // First byte of the data, one in the middle (an Adam moment) and the last byte of the file.
    for (const offset of [start, start + Math.floor((intact.length - start) / 2), intact.length - 1]) {
      const flipped = Buffer.from(intact);
      flipped[offset] = (flipped[offset] as number) ^ 0x01;
      const error = await readError(flipped);
      expect(error, `byte ${offset} flipped was read as intact`).toBeInstanceOf(JudgekitError);
      expect(error?.kind).toBe('run-store');
      expect(error?.file).toBe(path);
      expect(error?.message).toContain(path);
      expect(error?.message).toMatch(/checksum mismatch/);
      expect(error?.message).toContain('--fresh');
    }
  });

  it('a changed epoch in the metadata (still valid JSON) is refused by the checksum', async () => {
    const text = intact.toString('latin1');
    expect(text).toContain('\\"epoch\\":2');
    const error = await readError(Buffer.from(text.replace('\\"epoch\\":2', '\\"epoch\\":3'), 'latin1'));
    expect(error?.message).toMatch(/checksum mismatch/);
    expect(error?.message).toContain('--fresh');
  });

  it('a resume state truncated in its tensor data or in its header is refused naming the file, what is wrong and --fresh', async () => {
    const start = dataStart(intact);
    for (const size of [intact.length - 3, start + 5, Math.floor(start / 2), 4]) {
      const error = await readError(intact.subarray(0, size));
      expect(error, `truncated to ${size} bytes was read as intact`).toBeInstanceOf(JudgekitError);
      expect(error?.kind).toBe('run-store');
      expect(error?.file).toBe(path);
      expect(error?.message).toContain(path);
      expect(error?.message).toMatch(/damaged \(truncated or not a safetensors file: /);
      expect(error?.message).toContain('--fresh');
    }
    // The same through a real truncate of the file on disk.
    await writeFile(path, intact);
    await truncate(path, intact.length - 1);
    await expect(readResumeState(path, SPECS)).rejects.toThrow(/--fresh/);
  });

  it('a resume state of a differently shaped model is refused naming the missing tensor and --fresh', async () => {
    await writeFile(path, intact);
    await expect(readResumeState(path, [{ name: 'wte.weight', shape: [6, 8] }])).rejects.toThrow(/lacks param\/wte\.weight of shape \[6, 8\].*--fresh/);
  });
});

// F16 and BF16 GPT-2 checkpoints load as F32 in both namings and give the loss of an F32 checkpoint holding the
// same rounded weights; unsupported dtypes are refused with the file and the tensor named.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JudgekitError, SafetensorsFile, writeSafetensors, type SafetensorsInput } from '@judgekit/core';
import { createGpt2LikelihoodModel } from '../../engine/gpt2-likelihood-model.js';
import { createTinyGpt2 } from './create-tiny-gpt2.js';
import { gpt2FromSafetensors, loadGpt2Checkpoint } from './load-gpt2-checkpoint.js';

/**
 * Round to the nearest value with a `bits`-bit significand (implicit bit included) and no exponent below `minExp`
 * (subnormals): F16 is (11, -14), BF16 (8, -126). Written here from the formats' definitions, not with the encoder
 * judgekit writes files with. Ties cannot occur for these random weights, so the rounding direction of a tie does
 * not matter.
 */
function roundSignificand(x: number, bits: number, minExp: number): number {
  if (x === 0) return 0;
  const exp = Math.max(Math.floor(Math.log2(Math.abs(x))), minExp);
  const ulp = 2 ** (exp - (bits - 1));
  return Math.round(x / ulp) * ulp;
}

const ROUND = { F16: (x: number) => roundSignificand(x, 11, -14), BF16: (x: number) => roundSignificand(x, 8, -126) } as const;

/** The F32 checkpoint at `path` rewritten as F32 with every float weight rounded by `round`. */
async function roundedF32Copy(path: string, target: string, round: (x: number) => number): Promise<void> {
  const file = await SafetensorsFile.read(path);
  const tensors: Record<string, SafetensorsInput> = {};
  for (const name of file.names()) {
    const { shape, data } = file.float32(name);
    tensors[name] = { dtype: 'F32', shape, data: Float32Array.from(data, round) };
  }
  await writeSafetensors(target, tensors, { format: 'pt' });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'judgekit-dtypes-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Per-token NLL (batch 2 x 6) of a checkpoint on the CPU. */
async function tokenNll(checkpoint: string, configPath: string, vocab: number): Promise<Float32Array> {
  const inputs = Int32Array.from({ length: 12 }, (_, i) => (i * 37 + 5) % vocab);
  const targets = Int32Array.from({ length: 12 }, (_, i) => (i * 53 + 1) % vocab);
  const model = await createGpt2LikelihoodModel(checkpoint, { device: 'cpu', configPath });
  try {
    return Float32Array.from((await model.tokenNll(inputs, targets, 2, 6)).nll);
  } finally {
    await model.dispose();
  }
}

describe('GPT-2 checkpoints in half precision', () => {
  // Tolerance for the per-token NLL of the half-precision file against the F32 file with the same rounded weights:
  // 1e-6 (both load to identical F32 weights, so the graphs are identical and the NLL agrees to float rounding).
  const TOLERANCE = 1e-6;

  it.each([
    ['hf', 'F16'],
    ['hf', 'BF16'],
    ['book', 'F16'],
    ['book', 'BF16'],
  ] as const)('a %s-naming %s checkpoint loads to the host-rounded F32 weights and gives the same token NLL as the F32 checkpoint holding them (within 1e-6)', async (naming, dtype) => {
    const options = { naming, seed: 15, qkvBias: true, tiedHead: naming === 'hf', vocabSize: 64, embDim: 16, nHeads: 2, nLayers: 2 } as const;
    const fullDir = join(dir, `${naming}-${dtype}`);
    await mkdir(fullDir, { recursive: true });
    const full = await createTinyGpt2({ ...options, dir: fullDir, name: 'model' });
    const half = await createTinyGpt2({ ...options, dtype });
    const rounded = join(full.dir, 'rounded.safetensors');
    await roundedF32Copy(full.checkpointPath, rounded, ROUND[dtype]);

    const fromHalf = await loadGpt2Checkpoint(half.checkpointPath, { configPath: half.configPath! });
    const fromRounded = await loadGpt2Checkpoint(rounded, { configPath: full.configPath! });
    expect(fromHalf.config).toEqual(fromRounded.config);
    const flat = (w: typeof fromHalf.weights) => [w.tokenEmbedding, w.positionEmbedding, w.head, w.finalNormScale, ...w.layers.flatMap((l) => [l.qkvWeight, l.qkvBias!, l.attnOutWeight, l.fcWeight, l.projWeight, l.ln1Scale, l.ln2Shift])];
    flat(fromHalf.weights).forEach((array, i) => expect([...array]).toEqual([...flat(fromRounded.weights)[i]!]));

    const vocab = options.vocabSize;
    const nllHalf = await tokenNll(half.checkpointPath, half.configPath!, vocab);
    const nllRounded = await tokenNll(rounded, full.configPath!, vocab);
    const nllFull = await tokenNll(full.checkpointPath, full.configPath!, vocab);
    let worst = 0;
    let rounding = 0;
    for (let i = 0; i < nllHalf.length; i++) {
      worst = Math.max(worst, Math.abs(nllHalf[i]! - nllRounded[i]!));
      rounding = Math.max(rounding, Math.abs(nllHalf[i]! - nllFull[i]!));
    }
    expect(worst).toBeLessThanOrEqual(TOLERANCE);
    // The rounding itself moves the NLL (so the comparison above could tell a wrong decoding apart).
    expect(rounding).toBeGreaterThan(TOLERANCE);
  });

  it('keeps one F32 copy of a half-precision checkpoint: the stored F16 bytes of every weight are released once converted', async () => {
    const half = await createTinyGpt2({ naming: 'hf', seed: 3, dtype: 'F16', tiedHead: false });
    const file = await SafetensorsFile.read(half.checkpointPath, { include: (name) => !/(^|\.)attn\.(masked_)?bias$/.test(name) });
    const loaded = gpt2FromSafetensors(file, { naming: 'hf', nHeads: half.config.nHeads });
    expect(loaded.weights.layers[1]!.fcWeight).toBeInstanceOf(Float32Array);
    for (const name of ['transformer.wte.weight', 'transformer.h.0.mlp.c_fc.weight', 'transformer.ln_f.bias', 'lm_head.weight']) {
      expect(() => file.rawBytes(name), name).toThrow(/was not read \(left out when the file was opened, or released\)/);
    }
  });

  it('refuses a weight stored as an integer dtype with an error naming the file, the tensor and the dtypes it takes', async () => {
    const tiny = await createTinyGpt2({ naming: 'book', seed: 4 });
    const file = await SafetensorsFile.read(tiny.checkpointPath);
    const tensors: Record<string, SafetensorsInput> = {};
    for (const name of file.names()) {
      const { shape, data } = file.float32(name);
      tensors[name] = name === 'trf_blocks.1.ff.layers.0.weight' ? { dtype: 'I32', shape, data: Int32Array.from(data, (x) => Math.round(x * 100)) } : { dtype: 'F32', shape, data };
    }
    const path = join(dir, 'int-weights.safetensors');
    await writeSafetensors(path, tensors);
    const error = await loadGpt2Checkpoint(path, { configPath: tiny.configPath! }).catch((e: unknown) => e);
    expect(JudgekitError.is(error, 'model')).toBe(true);
    expect((error as JudgekitError).message).toMatch(/int-weights\.safetensors: tensor "trf_blocks\.1\.ff\.layers\.0\.weight" has dtype I32; GPT-2 weights must be F32, F16 or BF16/);
    expect((error as JudgekitError).file).toBe(path);
    expect((error as JudgekitError).location).toBe('trf_blocks.1.ff.layers.0.weight');
  });

  it('refuses a tensor in an 8-bit float dtype it cannot read, naming the file and the tensor', async () => {
    // A safetensors header declaring F8_E4M3 (one byte per value), which judgekit does not read.
    const header = JSON.stringify({ 'transformer.wte.weight': { dtype: 'F8_E4M3', shape: [2, 2], data_offsets: [0, 4] } }).padEnd(64, ' ');
    const bytes = new Uint8Array(8 + header.length + 4);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
    bytes.set(new TextEncoder().encode(header), 8);
    const path = join(dir, 'fp8.safetensors');
    await writeFile(path, bytes);
    const error = await loadGpt2Checkpoint(path).catch((e: unknown) => e);
    expect((error as JudgekitError).message).toMatch(/fp8\.safetensors: tensor "transformer\.wte\.weight" has unsupported dtype "F8_E4M3"/);
    expect((error as JudgekitError).file).toBe(path);
    expect((error as JudgekitError).location).toBe('transformer.wte.weight');
  });
});

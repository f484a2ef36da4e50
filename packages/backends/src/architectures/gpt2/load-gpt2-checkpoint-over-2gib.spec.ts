// A GPT-2 checkpoint file over 2 GiB loads: its tensors are read by offset (Node cannot read such a file whole).
// The files here are sparse copies of a tiny model whose tensors sit past the 2 GiB mark, so they cost no disk and
// little time; the Hugging Face one also carries a 2 GiB `attn.bias` buffer, which the loader never reads.
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensorsHeader } from '@judgekit/core';
import { createGpt2LikelihoodModel } from '../../engine/gpt2-likelihood-model.js';
import { createTinyGpt2 } from './create-tiny-gpt2.js';
import { loadGpt2Checkpoint } from './load-gpt2-checkpoint.js';

const TWO_GIB = 2 ** 31;

/**
 * Copy `source` to `target` with every tensor moved `shift` bytes further into the data section; `filler`, if
 * given, is a tensor entry covering [0, shift) whose bytes are never written (the file stays sparse).
 */
async function sparseCopy(source: string, target: string, shift: number, filler?: { name: string; shape: number[] }): Promise<number> {
  const header = await readSafetensorsHeader(source);
  const json: Record<string, unknown> = { __metadata__: header.metadata };
  if (filler) json[filler.name] = { dtype: 'F32', shape: filler.shape, data_offsets: [0, shift] };
  let end = 0;
  for (const entry of header.entries.values()) {
    json[entry.name] = { dtype: entry.dtype, shape: entry.shape, data_offsets: [entry.begin + shift, entry.end + shift] };
    end = Math.max(end, entry.end + shift);
  }
  let text = JSON.stringify(json);
  text += ' '.repeat((8 - ((8 + text.length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(text);
  const dataOffset = 8 + headerBytes.byteLength;
  const input = await open(source, 'r');
  const output = await open(target, 'w');
  try {
    const length = new Uint8Array(8);
    new DataView(length.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
    await output.write(length, 0, 8, 0);
    await output.write(headerBytes, 0, headerBytes.byteLength, 8);
    await output.truncate(dataOffset + end);
    for (const entry of header.entries.values()) {
      const bytes = new Uint8Array(entry.end - entry.begin);
      await input.read(bytes, 0, bytes.byteLength, header.dataOffset + entry.begin);
      await output.write(bytes, 0, bytes.byteLength, dataOffset + entry.begin + shift);
    }
  } finally {
    await input.close();
    await output.close();
  }
  return dataOffset + end;
}

describe('GPT-2 checkpoints over 2 GiB', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'judgekit-over-2gib-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each(['hf', 'book'] as const)('a %s-naming checkpoint with its tensors past 2 GiB loads to the same weights and the same token NLL as the compact file', async (naming) => {
    const tiny = await createTinyGpt2({ naming, seed: 11, qkvBias: true, tiedHead: naming === 'hf' });
    const sparse = join(dir, naming, 'model.safetensors');
    await mkdir(join(dir, naming), { recursive: true });
    // A 2 GiB causal-mask buffer of an older Hugging Face export ([1, 1, 16384, 32768] F32) in front of the weights.
    const size =
      naming === 'hf'
        ? await sparseCopy(tiny.checkpointPath, sparse, TWO_GIB, { name: 'transformer.h.0.attn.bias', shape: [1, 1, 16384, 32768] })
        : await sparseCopy(tiny.checkpointPath, sparse, TWO_GIB + 4096);
    expect(size).toBeGreaterThan(TWO_GIB);
    const configPath = join(dir, naming, basename(tiny.configPath!));
    await writeFile(configPath, await readFile(tiny.configPath!));

    const loaded = await loadGpt2Checkpoint(sparse, { configPath });
    expect(loaded.config).toEqual(tiny.model.config);
    const flat = (w: typeof loaded.weights) => [
      w.tokenEmbedding,
      w.positionEmbedding,
      w.finalNormScale,
      w.finalNormShift,
      w.head,
      ...w.layers.flatMap((l) => [l.ln1Scale, l.ln1Shift, l.qkvWeight, l.qkvBias ?? new Float32Array(0), l.attnOutWeight, l.attnOutBias, l.ln2Scale, l.ln2Shift, l.fcWeight, l.fcBias, l.projWeight, l.projBias]),
    ];
    const got = flat(loaded.weights);
    const want = flat(tiny.model.weights);
    expect(got.length).toBe(want.length);
    got.forEach((array, i) => expect([...array]).toEqual([...want[i]!]));

    const inputs = Int32Array.from({ length: 12 }, (_, i) => (i * 37) % tiny.config.vocabSize);
    const targets = Int32Array.from({ length: 12 }, (_, i) => (i * 53 + 1) % tiny.config.vocabSize);
    const fromSparse = await createGpt2LikelihoodModel(sparse, { device: 'cpu', configPath });
    const fromCompact = await createGpt2LikelihoodModel(tiny.checkpointPath, { device: 'cpu' });
    try {
      const a = await fromSparse.tokenNll(inputs, targets, 2, 6);
      const b = await fromCompact.tokenNll(inputs, targets, 2, 6);
      expect([...a.nll]).toEqual([...b.nll]);
      expect(a.nll.every((x) => Number.isFinite(x) && x > 0)).toBe(true);
    } finally {
      await fromSparse.dispose();
      await fromCompact.dispose();
    }
  });
});

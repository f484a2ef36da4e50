import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTinyGpt2 } from './create-tiny-gpt2.js';
import { encodeSafetensors, SafetensorsFile } from '@judgekit/core';
import { detectGpt2Naming, gpt2FromSafetensors, loadGpt2Checkpoint, transpose2d } from './load-gpt2-checkpoint.js';
import { parseGpt2ConfigJson } from './gpt2-config.js';

function expectSameWeights(a: Float32Array, b: Float32Array): void {
  expect(a.length).toBe(b.length);
  expect(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))).toBe(true);
}

describe('loadGpt2Checkpoint', () => {
  it('reads the same seeded model identically from Hugging Face and book naming', async () => {
    const hf = await createTinyGpt2({ seed: 9, naming: 'hf', qkvBias: true, tiedHead: false });
    const book = await createTinyGpt2({ seed: 9, naming: 'book', qkvBias: true, tiedHead: false });
    expect(hf.model.source.naming).toBe('hf');
    expect(book.model.source.naming).toBe('book');
    expect(hf.config).toEqual(book.config);
    const [h, b] = [hf.model.weights, book.model.weights];
    expectSameWeights(h.tokenEmbedding, b.tokenEmbedding);
    expectSameWeights(h.head, b.head);
    for (const key of ['qkvWeight', 'qkvBias', 'attnOutWeight', 'fcWeight', 'projWeight', 'ln2Shift'] as const) {
      expectSameWeights(h.layers[1]![key]!, b.layers[1]![key]!);
    }
  });

  it.each([
    { naming: 'hf' as const, hfPrefix: false, tiedHead: true },
    { naming: 'hf' as const, hfPrefix: true, tiedHead: false },
    { naming: 'book' as const, tiedHead: true },
  ])('detects tying and prefixes (%o)', async (options) => {
    const tiny = await createTinyGpt2({ seed: 2, ...options });
    expect(tiny.config.tiedHead).toBe(options.tiedHead);
    expect(tiny.model.weights.head === tiny.model.weights.tokenEmbedding).toBe(options.tiedHead);
  });

  it('reads F16 and BF16 checkpoints as float32', async () => {
    const f32 = await createTinyGpt2({ seed: 4 });
    const f16 = await createTinyGpt2({ seed: 4, dtype: 'F16' });
    const bf16 = await createTinyGpt2({ seed: 4, dtype: 'BF16' });
    const a = f32.model.weights.layers[0]!.fcWeight;
    for (const [other, tolerance] of [[f16, 2e-3], [bf16, 1e-2]] as const) {
      const b = other.model.weights.layers[0]!.fcWeight;
      let max = 0;
      for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(a[i]!)));
      expect(max).toBeGreaterThan(0);
      expect(max).toBeLessThan(tolerance);
    }
  });

  it('finds <name>.json beside a book checkpoint and config.json beside a Hugging Face one', async () => {
    const book = await createTinyGpt2({ naming: 'book', name: 'gpt', configFile: 'stem', nHeads: 4 });
    expect((await loadGpt2Checkpoint(book.checkpointPath)).config.nHeads).toBe(4);
    const hf = await createTinyGpt2({ naming: 'hf', configFile: 'config.json', nHeads: 4 });
    expect((await loadGpt2Checkpoint(hf.checkpointPath)).source.configPath).toBe(join(hf.dir, 'config.json'));
  });

  it('asks for a config when the number of heads is unknown', async () => {
    const tiny = await createTinyGpt2({ naming: 'book' });
    await rm(tiny.configPath!);
    await expect(loadGpt2Checkpoint(tiny.checkpointPath)).rejects.toThrow(/number of attention heads cannot be inferred .* --config/);
  });

  it('names the tensor, the expected and the found shape when the config disagrees', async () => {
    const tiny = await createTinyGpt2({ naming: 'book', embDim: 16, nHeads: 2 });
    const wrong = join(tiny.dir, 'wrong.json');
    await writeFile(wrong, JSON.stringify({ vocab_size: 96, context_length: 64, emb_dim: 16, n_heads: 2, n_layers: 2, qkv_bias: true }));
    await expect(loadGpt2Checkpoint(tiny.checkpointPath, { configPath: wrong })).rejects.toThrow(/tensor "pos_emb.weight" has shape \[32, 16\] but the model config needs \[64, 16\]/);
    await writeFile(wrong, JSON.stringify({ emb_dim: 16, n_heads: 2, qkv_bias: false }));
    await expect(loadGpt2Checkpoint(tiny.checkpointPath, { configPath: wrong })).rejects.toThrow(/qkv_bias=false but the checkpoint has "trf_blocks.0.att.W_query.bias"/);
  });

  it('rejects a file that is not GPT-2', () => {
    const file = SafetensorsFile.fromBytes(encodeSafetensors({ 'encoder.weight': { dtype: 'F32', shape: [1], data: [0] } }), 'bert.safetensors');
    expect(() => detectGpt2Naming(file.names(), file.path)).toThrow(/bert.safetensors is not a GPT-2 checkpoint/);
    expect(() => gpt2FromSafetensors(file, { naming: 'hf', nHeads: 1 })).toThrow(/not a GPT-2 checkpoint/);
  });

  it('parses both config namings', () => {
    expect(parseGpt2ConfigJson({ vocab_size: 50257, context_length: 1024, emb_dim: 768, n_heads: 12, n_layers: 12, drop_rate: 0.1, qkv_bias: false })).toEqual({
      naming: 'book', vocabSize: 50257, contextLength: 1024, embDim: 768, nHeads: 12, nLayers: 12, qkvBias: false,
    });
    expect(parseGpt2ConfigJson({ n_embd: 1024, n_layer: 24, n_head: 16, n_positions: 1024, vocab_size: 50257 })).toMatchObject({ naming: 'hf', embDim: 1024, nLayers: 24, nHeads: 16, qkvBias: true });
    expect(() => parseGpt2ConfigJson({ emb_dim: 'x' }, 'c.json')).toThrow(/c.json: "emb_dim" must be a positive integer/);
    expect(() => parseGpt2ConfigJson({ hidden: 1 }, 'c.json')).toThrow(/neither a book GPTModel config/);
  });

  it('transposes [rows, cols] to [cols, rows]', () => {
    expect([...transpose2d(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, 3)]).toEqual([1, 4, 2, 5, 3, 6]);
  });
});

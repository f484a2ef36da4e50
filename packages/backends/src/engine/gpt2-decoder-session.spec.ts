import { afterAll, describe, expect, it } from 'vitest';
import { createTinyGpt2 } from '../architectures/gpt2/create-tiny-gpt2.js';
import { referenceLogits } from '../architectures/gpt2/gpt2-reference-forward.js';
import { join } from 'node:path';
import type { Gpt2Config } from '../architectures/gpt2/gpt2-config.js';
import { buildGpt2Graph } from '../architectures/gpt2/gpt2-graph.js';
import { createGpt2DecoderSession, type Gpt2DecoderSession, type KvCache } from './gpt2-decoder-session.js';
import { deviceUnavailableReason } from './ort-runtime.js';

const webgpuReason = await deviceUnavailableReason('webgpu');
// The CPU runs both KV-cache layouts: slot buffers (its default) and optimum's concatenating graph (what GPUs use).
const setups = [
  { device: 'cpu' as const, cache: 'slots' as const, skip: null },
  { device: 'cpu' as const, cache: 'concat' as const, skip: null },
  { device: 'webgpu' as const, cache: 'concat' as const, skip: webgpuReason },
];

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

const variants = [
  { naming: 'hf' as const, qkvBias: true, tiedHead: true },
  { naming: 'hf' as const, qkvBias: true, tiedHead: false },
  { naming: 'book' as const, qkvBias: false, tiedHead: false },
  { naming: 'book' as const, qkvBias: true, tiedHead: true },
];

for (const { device, cache, skip } of setups) {
  describe.skipIf(skip !== null)(`Gpt2DecoderSession on ${device}, ${cache} cache${skip ? ` (skipped: ${skip})` : ''}`, () => {
    const sessions: Gpt2DecoderSession[] = [];
    afterAll(async () => {
      for (const s of sessions) await s.dispose();
    });

    for (const variant of variants) {
      it(`matches the reference forward pass (${variant.naming}, qkvBias=${variant.qkvBias}, tied=${variant.tiedHead})`, async () => {
        const tiny = await createTinyGpt2({ seed: 7, ...variant });
        const session = await createGpt2DecoderSession(tiny.checkpointPath, { device, cache });
        sessions.push(session);
        expect((session.config as Gpt2Config).tiedHead).toBe(variant.tiedHead);
        const ids = [3, 17, 42, 5, 88, 1, 60];
        const ref = referenceLogits(tiny.model, ids);
        // Full prefill: last position logits.
        const T = ids.length;
        const { logits, present } = await session.step({
          inputIds: Int32Array.from(ids),
          positionIds: Int32Array.from(ids.map((_, i) => i)),
          attentionMask: new Int32Array(T).fill(1),
          batch: 1,
          seq: T,
          past: null,
        });
        expect(present.pastLength).toBe(T);
        expect(maxAbsDiff(logits, ref[T - 1]!)).toBeLessThan(1e-4);
        present.dispose();
      });
    }

    it('KV-cache step-by-step decoding equals full recompute', async () => {
      const tiny = await createTinyGpt2({ seed: 11, naming: 'book', qkvBias: true, tiedHead: false });
      const session = await createGpt2DecoderSession(tiny.model, { device, cache });
      sessions.push(session);
      const ids = [9, 2, 77, 31, 4, 50];
      const ref = referenceLogits(tiny.model, ids);
      let past: KvCache | null = null;
      // Prefill two tokens, then one at a time.
      const first = await session.step({ inputIds: Int32Array.from(ids.slice(0, 2)), positionIds: Int32Array.from([0, 1]), attentionMask: Int32Array.from([1, 1]), batch: 1, seq: 2, past });
      expect(maxAbsDiff(first.logits, ref[1]!)).toBeLessThan(1e-4);
      if (cache === 'concat') {
        // On WebGPU the cache stays on the device between steps.
        const location = (first.present as unknown as { tensors: { location: string }[] }).tensors[0]!.location;
        expect(location).toBe(device === 'webgpu' ? 'gpu-buffer' : 'cpu');
      } else {
        expect((first.present as unknown as { buffers: Float32Array[] }).buffers).toHaveLength(2 * tiny.config.nLayers);
      }
      past = first.present;
      for (let t = 2; t < ids.length; t++) {
        const step: { logits: Float32Array; present: KvCache } = await session.step({ inputIds: Int32Array.from([ids[t]!]), positionIds: Int32Array.from([t]), attentionMask: new Int32Array(t + 1).fill(1), batch: 1, seq: 1, past });
        expect(maxAbsDiff(step.logits, ref[t]!)).toBeLessThan(1e-4);
        past.dispose();
        past = step.present;
      }
      expect(past.pastLength).toBe(ids.length);
    });

    it('left-padded batches equal unpadded single rows', async () => {
      const tiny = await createTinyGpt2({ seed: 5, naming: 'hf', tiedHead: true });
      const session = await createGpt2DecoderSession(tiny.model, { device, cache });
      sessions.push(session);
      const rows = [[4, 8, 15, 16, 23], [42, 7]];
      const width = 5;
      const pad = 0;
      const inputIds = new Int32Array(2 * width);
      const positionIds = new Int32Array(2 * width);
      const mask = new Int32Array(2 * width);
      rows.forEach((row, b) => {
        const offset = width - row.length;
        for (let i = 0; i < width; i++) {
          const real = i >= offset;
          inputIds[b * width + i] = real ? row[i - offset]! : pad;
          positionIds[b * width + i] = real ? i - offset : 0;
          mask[b * width + i] = real ? 1 : 0;
        }
      });
      const prefill = await session.step({ inputIds, positionIds, attentionMask: mask, batch: 2, seq: width, past: null });
      rows.forEach((row, b) => {
        const ref = referenceLogits(tiny.model, row);
        expect(maxAbsDiff(prefill.logits.subarray(b * tiny.config.vocabSize, (b + 1) * tiny.config.vocabSize), ref[row.length - 1]!)).toBeLessThan(1e-4);
      });
      // One more token per row through the cache.
      const next = [3, 9];
      const mask2 = new Int32Array(2 * (width + 1));
      for (let b = 0; b < 2; b++) {
        mask2.set(mask.subarray(b * width, (b + 1) * width), b * (width + 1));
        mask2[b * (width + 1) + width] = 1;
      }
      const step = await session.step({ inputIds: Int32Array.from(next), positionIds: Int32Array.from(rows.map((r) => r.length)), attentionMask: mask2, batch: 2, seq: 1, past: prefill.present });
      rows.forEach((row, b) => {
        const ref = referenceLogits(tiny.model, [...row, next[b]!]);
        expect(maxAbsDiff(step.logits.subarray(b * tiny.config.vocabSize, (b + 1) * tiny.config.vocabSize), ref[row.length]!)).toBeLessThan(1e-4);
      });
    });

    it('rejects token ids outside the vocabulary before running', async () => {
      const tiny = await createTinyGpt2({ seed: 3 });
      const session = await createGpt2DecoderSession(tiny.model, { device, cache });
      sessions.push(session);
      await expect(session.step({ inputIds: Int32Array.from([1, -1]), positionIds: Int32Array.from([0, 1]), attentionMask: Int32Array.from([1, 1]), batch: 1, seq: 2, past: null })).rejects.toThrow(/token id -1 at row 0, position 1/);
      await expect(session.step({ inputIds: Int32Array.from([tiny.config.vocabSize]), positionIds: Int32Array.from([0]), attentionMask: Int32Array.from([1]), batch: 1, seq: 1, past: null })).rejects.toThrow(/not an integer in \[0, 96\)/);
    });
  });
}

describe('Gpt2DecoderSession slot cache', () => {
  const sessions: Gpt2DecoderSession[] = [];
  afterAll(async () => {
    for (const s of sessions) await s.dispose();
  });
  const one = (t: number) => ({ positionIds: Int32Array.from([t]), attentionMask: new Int32Array(t + 1).fill(1), batch: 1, seq: 1 });

  it('extends in place within the reserve, grows past it, and matches the reference throughout', async () => {
    const tiny = await createTinyGpt2({ seed: 13, naming: 'hf', qkvBias: true, tiedHead: true });
    const session = await createGpt2DecoderSession(tiny.model, { device: 'cpu', cache: 'slots' });
    sessions.push(session);
    const ids = [5, 1, 90, 33, 7, 12, 64, 2, 48, 19];
    const ref = referenceLogits(tiny.model, ids);
    const first = await session.step({ inputIds: Int32Array.from(ids.slice(0, 2)), positionIds: Int32Array.from([0, 1]), attentionMask: Int32Array.from([1, 1]), batch: 1, seq: 2, past: null, reserve: 4 });
    type Slots = KvCache & { capacity: number; buffers: Float32Array[]; isDisposed: boolean };
    let past = first.present as Slots;
    expect(past.capacity).toBe(4);
    const capacities: number[] = [];
    for (let t = 2; t < ids.length; t++) {
      const step = await session.step({ inputIds: Int32Array.from([ids[t]!]), ...one(t), past, extendInPlace: true });
      expect(maxAbsDiff(step.logits, ref[t]!)).toBeLessThan(1e-4);
      const next = step.present as Slots;
      // In place while it fits (same buffers), into bigger buffers once it does not; either way past is gone.
      expect(next.buffers[0] === past.buffers[0]).toBe(t + 1 <= past.capacity);
      expect(past.isDisposed).toBe(true);
      await expect(session.step({ inputIds: Int32Array.of(1), ...one(t), past })).rejects.toThrow(/disposed/);
      capacities.push(next.capacity);
      past = next;
    }
    // Growth is by half the capacity (4 -> 6 -> 9 -> 14), so a long generation reallocates O(log n) times.
    expect(capacities).toEqual([4, 4, 6, 6, 9, 9, 9, 14]);
    expect(past.pastLength).toBe(ids.length);
  });

  it('reads only a stride of slots that runs 32 ahead, re-strided in the reserved storage as it fills, over padded rows', async () => {
    const tiny = await createTinyGpt2({ seed: 29, naming: 'hf', qkvBias: true, tiedHead: true, contextLength: 96 });
    const session = await createGpt2DecoderSession(tiny.model, { device: 'cpu', cache: 'slots' });
    sessions.push(session);
    const V = tiny.config.vocabSize;
    // Two rows, the second left-padded by 2; 70 more tokens each, so the stride is outgrown twice.
    const rows = [
      [5, 1, 90, 33],
      [7, 12],
    ];
    const width = 4;
    const pads = [0, 2];
    const inputIds = Int32Array.from([5, 1, 90, 33, 0, 0, 7, 12]);
    const positionIds = Int32Array.from([0, 1, 2, 3, 0, 0, 0, 1]);
    const prefillMask = Int32Array.from([1, 1, 1, 1, 0, 0, 1, 1]);
    const first = await session.step({ inputIds, positionIds, attentionMask: prefillMask, batch: 2, seq: width, past: null, reserve: 80 });
    type Slots = KvCache & { capacity: number; buffers: Float32Array[] };
    let past = first.present as Slots;
    const storage = past.buffers[0]!.buffer;
    expect(past.capacity).toBe(width + 32);
    const capacities = [past.capacity];
    for (let t = width; t < 76; t++) {
      const next = rows.map((row, b) => (row.length * 31 + t * 7 + b) % V);
      const mask = new Int32Array(2 * (t + 1));
      for (let b = 0; b < 2; b++) mask.fill(1, b * (t + 1) + pads[b]!, (b + 1) * (t + 1));
      const step = await session.step({
        inputIds: Int32Array.from(next),
        positionIds: Int32Array.from(pads.map((pad) => t - pad)),
        attentionMask: mask,
        batch: 2,
        seq: 1,
        past,
        extendInPlace: true,
      });
      rows.forEach((row, b) => row.push(next[b]!));
      if (t % 9 === 0 || t === 75) {
        rows.forEach((row, b) => {
          const ref = referenceLogits(tiny.model, row);
          expect(maxAbsDiff(step.logits.subarray(b * V, (b + 1) * V), ref[row.length - 1]!)).toBeLessThan(1e-4);
        });
      }
      past = step.present as Slots;
      // Every growth happens in the storage reserved by the prefill: nothing is allocated.
      expect(past.buffers[0]!.buffer).toBe(storage);
      if (past.capacity !== capacities[capacities.length - 1]) capacities.push(past.capacity);
    }
    // 36 slots, outgrown at 37 tokens (37 + 32 = 69), then at 70 (the reserve of 80 caps it).
    expect(capacities).toEqual([36, 69, 80]);
  });

  it('without extendInPlace, past stays usable: two continuations from one cache', async () => {
    const tiny = await createTinyGpt2({ seed: 17, naming: 'book', qkvBias: false, tiedHead: false });
    const session = await createGpt2DecoderSession(tiny.model, { device: 'cpu', cache: 'slots' });
    sessions.push(session);
    const prefix = [8, 3, 71];
    const first = await session.step({ inputIds: Int32Array.from(prefix), positionIds: Int32Array.from([0, 1, 2]), attentionMask: Int32Array.from([1, 1, 1]), batch: 1, seq: 3, past: null, reserve: 8 });
    for (const next of [14, 55]) {
      const step = await session.step({ inputIds: Int32Array.of(next), ...one(3), past: first.present });
      expect(maxAbsDiff(step.logits, referenceLogits(tiny.model, [...prefix, next])[3]!)).toBeLessThan(1e-4);
      step.present.dispose();
    }
  });

  it('recycled buffers carry nothing from the batch before', async () => {
    const tiny = await createTinyGpt2({ seed: 19, naming: 'hf', qkvBias: true, tiedHead: true });
    const session = await createGpt2DecoderSession(tiny.model, { device: 'cpu', cache: 'slots' });
    sessions.push(session);
    // A big batch fills its slots, is disposed, and a smaller one reuses the buffers.
    const big = await session.step({ inputIds: Int32Array.from({ length: 3 * 6 }, (_, i) => (i * 7) % 90), positionIds: Int32Array.from({ length: 18 }, (_, i) => i % 6), attentionMask: new Int32Array(18).fill(1), batch: 3, seq: 6, past: null, reserve: 12 });
    const bigBuffer = (big.present as unknown as { buffers: Float32Array[] }).buffers[0]!.buffer;
    big.present.dispose();
    const ids = [40, 41, 42];
    const small = await session.step({ inputIds: Int32Array.from(ids.slice(0, 2)), positionIds: Int32Array.from([0, 1]), attentionMask: Int32Array.from([1, 1]), batch: 1, seq: 2, past: null, reserve: 5 });
    expect((small.present as unknown as { buffers: Float32Array[] }).buffers[0]!.buffer).toBe(bigBuffer);
    const step = await session.step({ inputIds: Int32Array.of(ids[2]!), ...one(2), past: small.present, extendInPlace: true });
    expect(maxAbsDiff(step.logits, referenceLogits(tiny.model, ids)[2]!)).toBeLessThan(1e-4);
  });

  it('an ONNX file keeps the interface it was built with: a written slot graph runs as slots, optimum\'s as concat', async () => {
    const tiny = await createTinyGpt2({ seed: 23, naming: 'hf', qkvBias: true, tiedHead: true });
    const ids = [11, 4, 60];
    const ref = referenceLogits(tiny.model, ids);
    for (const kind of ['decoder-slots', 'decoder-last'] as const) {
      const path = join(tiny.dir, `${kind}.onnx`);
      await buildGpt2Graph(tiny.model, kind).writeFile(path);
      const session = await createGpt2DecoderSession(path, { device: 'cpu' });
      sessions.push(session);
      expect(session.keepRows !== undefined).toBe(kind === 'decoder-slots');
      const first = await session.step({ inputIds: Int32Array.from(ids.slice(0, 2)), positionIds: Int32Array.from([0, 1]), attentionMask: Int32Array.from([1, 1]), batch: 1, seq: 2, past: null, reserve: 3 });
      const step = await session.step({ inputIds: Int32Array.of(ids[2]!), ...one(2), past: first.present, extendInPlace: true });
      expect(maxAbsDiff(step.logits, ref[2]!)).toBeLessThan(1e-4);
    }
  });
});

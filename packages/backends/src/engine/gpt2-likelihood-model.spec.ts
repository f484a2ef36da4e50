import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTinyGpt2 } from '../architectures/gpt2/create-tiny-gpt2.js';
import { referenceLogits, referenceNll } from '../architectures/gpt2/gpt2-reference-forward.js';
import { buildGpt2Graph } from '../architectures/gpt2/gpt2-graph.js';
import { OnnxDataType, OnnxGraphBuilder } from '../onnx/graph-builder.js';
import { createGpt2DecoderSession } from './gpt2-decoder-session.js';
import { createGpt2LikelihoodModel, nllFromLogits, type Gpt2LikelihoodModel } from './gpt2-likelihood-model.js';
import { deviceUnavailableReason, loadOrt, sessionOptions } from './ort-runtime.js';

const webgpuReason = await deviceUnavailableReason('webgpu');

const rows = [
  [5, 12, 40, 7, 3, 90, 21, 33],
  [8, 8, 1, 64, 2, 17, 45, 0],
];
const targetRows = [
  [12, 40, 7, 3, 90, 21, 33, 6],
  [-100, -100, 64, 2, 17, -100, 0, 95],
];

function expectMatchesReference(model: Gpt2LikelihoodModel, tiny: Awaited<ReturnType<typeof createTinyGpt2>>, nll: Float32Array): void {
  const T = rows[0]!.length;
  rows.forEach((row, b) => {
    const logits = referenceLogits(tiny.model, row);
    targetRows[b]!.forEach((target, t) => {
      const got = nll[b * T + t]!;
      if (target === -100) expect(got).toBe(0);
      else expect(Math.abs(got - referenceNll(logits[t]!, target))).toBeLessThan(1e-4);
    });
  });
  expect(model.contextLength).toBe(tiny.config.contextLength);
}

for (const { device, skip } of [{ device: 'cpu' as const, skip: null }, { device: 'webgpu' as const, skip: webgpuReason }]) {
  describe.skipIf(skip !== null)(`loss graph on ${device}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    const open: Gpt2LikelihoodModel[] = [];
    afterAll(async () => {
      for (const m of open) await m.dispose();
    });

    it.each([
      { naming: 'hf' as const, qkvBias: true, tiedHead: true },
      { naming: 'book' as const, qkvBias: false, tiedHead: false },
    ])('nll equals log-softmax of the reference logits, 0 for ignored targets (%o)', async (variant) => {
      const tiny = await createTinyGpt2({ seed: 21, ...variant });
      const model = await createGpt2LikelihoodModel(tiny.checkpointPath, { device });
      open.push(model);
      expect(model.nllMode).toBe('graph');
      const { nll, batch, sequence } = await model.tokenNll(Int32Array.from(rows.flat()), Int32Array.from(targetRows.flat()), 2, 8);
      expect([batch, sequence]).toEqual([2, 8]);
      expectMatchesReference(model, tiny, nll);
    });
  });
}

describe('the loss graph for the CPU provider', () => {
  it("uses ONNX Runtime's fused Attention kernel, while the graph for other providers and tools keeps standard ops, and both give the reference NLL", async () => {
    const tiny = await createTinyGpt2({ seed: 23 });
    const fused = buildGpt2Graph(tiny.model, 'loss', { executionProvider: 'cpu' });
    const standard = buildGpt2Graph(tiny.model, 'loss');
    expect(fused.opTypes().filter((op) => op === 'com.microsoft.Attention')).toHaveLength(tiny.config.nLayers);
    expect(fused.opTypes()).not.toContain('Softmax');
    expect(standard.opTypes().filter((op) => op.includes('.'))).toEqual([]);
    expect(buildGpt2Graph(tiny.model, 'loss', { executionProvider: 'webgpu' }).opTypes()).toEqual(standard.opTypes());
    const ort = await loadOrt();
    const [B, T] = [rows.length, rows[0]!.length];
    const feeds = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(rows.flat(), BigInt), [B, T]),
      targets: new ort.Tensor('int64', BigInt64Array.from(targetRows.flat(), BigInt), [B, T]),
    };
    for (const graph of [fused, standard]) {
      const session = await ort.InferenceSession.create(graph.toBytes(), sessionOptions({ device: 'cpu' }));
      const nll = (await session.run(feeds)).nll!.data as Float32Array;
      await session.release();
      rows.forEach((row, b) => {
        const logits = referenceLogits(tiny.model, row);
        targetRows[b]!.forEach((target, t) => {
          if (target === -100) expect(nll[b * T + t]).toBe(0);
          else expect(Math.abs(nll[b * T + t]! - referenceNll(logits[t]!, target))).toBeLessThan(1e-4);
        });
      });
    }
  });
});

describe('likelihood model paths', () => {
  it('splits large batches into row groups with the same result', async () => {
    const tiny = await createTinyGpt2({ seed: 22 });
    const whole = await createGpt2LikelihoodModel(tiny.model, { device: 'cpu' });
    const split = await createGpt2LikelihoodModel(tiny.model, { device: 'cpu', maxLogitElements: 8 * tiny.config.vocabSize });
    const inputs = Int32Array.from(rows.flat());
    const targets = Int32Array.from(targetRows.flat());
    const a = await whole.tokenNll(inputs, targets, 2, 8);
    const b = await split.tokenNll(inputs, targets, 2, 8);
    expect([...b.nll]).toEqual([...a.nll]);
    await whole.dispose();
    await split.dispose();
  });

  it('computes NLL in JS from a foreign decoder ONNX (logits only), matching the graph', async () => {
    const tiny = await createTinyGpt2({ seed: 23, naming: 'book', tiedHead: false });
    const dir = await mkdtemp(join(tmpdir(), 'judgekit-foreign-'));
    const path = join(dir, 'decoder.onnx');
    await buildGpt2Graph(tiny.model, 'decoder').writeFile(path);
    const model = await createGpt2LikelihoodModel(path, { device: 'cpu' });
    expect(model.nllMode).toBe('js');
    const { nll } = await model.tokenNll(Int32Array.from(rows.flat()), Int32Array.from(targetRows.flat()), 2, 8);
    expectMatchesReference(model, tiny, nll);
    await model.dispose();
  });

  it('accepts a full-sequence ONNX export without KV-cache inputs, its layer count from the config.json beside it', async () => {
    // A stand-in export with optimum's names but no past inputs (like optimum's `decoder_model.onnx` without past):
    // logits = embedding(input_ids) x embedding^T.
    const V = 11;
    const C = 4;
    const table = Float32Array.from({ length: V * C }, (_, i) => Math.sin(i * 1.7));
    const b = new OnnxGraphBuilder('no_past', 17);
    const ids = b.input('input_ids', OnnxDataType.INT64, [1, 'sequence_length']);
    b.input('attention_mask', OnnxDataType.INT64, [1, 'sequence_length']);
    const wte = b.floatInitializer('wte', [V, C], table);
    const hidden = b.op('Gather', [wte, ids], { axis: 0 });
    b.output(b.op('MatMul', [hidden, b.op('Transpose', [wte], { perm: [1, 0] })]), 'logits', OnnxDataType.FLOAT, [1, 'sequence_length', V]);
    const dir = await mkdtemp(join(tmpdir(), 'judgekit-no-past-'));
    const path = join(dir, 'model.onnx');
    await b.writeFile(path);
    await writeFile(join(dir, 'config.json'), JSON.stringify({ model_type: 'gpt2', vocab_size: V, n_positions: 16, n_embd: C, n_layer: 1, n_head: 1 }));
    const model = await createGpt2LikelihoodModel(path, { device: 'cpu' });
    expect(model.nllMode).toBe('js');
    const inputs = Int32Array.from([3, 7, 1, 9, 0]);
    const targets = Int32Array.from([7, 1, 9, 0, -100]);
    const { nll } = await model.tokenNll(inputs, targets, 1, 5);
    for (let t = 0; t < 5; t++) {
      const logits = Float32Array.from({ length: V }, (_, v) => {
        let dot = 0;
        for (let c = 0; c < C; c++) dot += table[inputs[t]! * C + c]! * table[v * C + c]!;
        return dot;
      });
      expect(nll[t]).toBeCloseTo(targets[t] === -100 ? 0 : nllFromLogits(logits, 0, V, targets[t]!), 5);
    }
    await model.dispose();
    // Generation needs a cache: the same file is refused for decoding, saying why.
    await expect(createGpt2DecoderSession(path, { device: 'cpu' })).rejects.toThrow(/no KV-cache inputs/);
  });

  it('loads a loss graph written with external data', async () => {
    const tiny = await createTinyGpt2({ seed: 24 });
    const dir = await mkdtemp(join(tmpdir(), 'judgekit-external-'));
    const path = join(dir, 'loss.onnx');
    const files = await buildGpt2Graph(tiny.model, 'loss').writeFile(path, { externalData: true });
    expect(files).toEqual([path, `${path}_data`]);
    expect((await readdir(dir)).sort()).toEqual(['loss.onnx', 'loss.onnx_data']);
    const model = await createGpt2LikelihoodModel(path, { device: 'cpu' });
    expect(model.nllMode).toBe('graph');
    expect(model.config).toEqual(tiny.config);
    const { nll } = await model.tokenNll(Int32Array.from(rows.flat()), Int32Array.from(targetRows.flat()), 2, 8);
    expectMatchesReference(model, tiny, nll);
    await model.dispose();
  });

  it('rejects bad ids and over-long sequences before the runtime sees them', async () => {
    const tiny = await createTinyGpt2({ seed: 25, contextLength: 8 });
    const model = await createGpt2LikelihoodModel(tiny.model, { device: 'cpu' });
    await expect(model.tokenNll(Int32Array.from([1, -1]), Int32Array.from([2, 3]), 1, 2)).rejects.toThrow(/inputs: token id -1 at row 0, position 1/);
    await expect(model.tokenNll(Int32Array.from([1, 2]), Int32Array.from([2, -5]), 1, 2)).rejects.toThrow(/targets: token id -5 .* \(or -100 to ignore\)/);
    await expect(model.tokenNll(Int32Array.from([1, 2]), Int32Array.from([2, 96]), 1, 2)).rejects.toThrow(/token id 96/);
    await expect(model.tokenNll(new Int32Array(9), new Int32Array(9), 1, 9)).rejects.toThrow(/exceeds the model's context length 8/);
    await model.dispose();
  });

  it('nllFromLogits is log-sum-exp minus the target logit', () => {
    const logits = Float32Array.from([0, 1000, 1000, 0]);
    expect(nllFromLogits(logits, 0, 4, 1)).toBeCloseTo(Math.log(2), 6);
    expect(nllFromLogits(logits, 2, 2, 1)).toBeCloseTo(1000 + Math.log1p(Math.exp(-1000)), 6);
  });
});

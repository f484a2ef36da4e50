// `judgekit convert` writes ONNX's external-data layout (model.onnx + model.onnx_data, the names optimum writes and transformers.js reads) when the weights pass a
// threshold: automatically just under protobuf's 2 GiB limit, or lower with --external-data-above, which lets a tiny
// model stand in for a multi-gigabyte one here.
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTinyGpt2 } from '@judgekit/backends/testing';
import { runMain } from '../../test/support/run-main.js';

let dir: string;
const cli = (argv: string[]) => runMain(argv, { cwd: dir });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'judgekit-cli-convert-'));
  await createTinyGpt2({ dir, name: 'tiny', seed: 21, vocabSize: 64, contextLength: 16, embDim: 16, nLayers: 2, nHeads: 2, naming: 'book', tiedHead: false });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Ort = typeof import('onnxruntime-node');

/** Full logits of a converted decoder graph for one 5-token sequence, run by onnxruntime-node from the file. */
async function decoderLogits(path: string): Promise<Float32Array> {
  const ortModule = (await import('onnxruntime-node')) as Ort & { default?: Ort };
  const ort = ortModule.default?.InferenceSession ? ortModule.default : ortModule;
  const session = await ort.InferenceSession.create(path);
  try {
    const ids = [3, 17, 42, 5, 60];
    const feeds: Record<string, InstanceType<Ort['Tensor']>> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from(ids, (_, i) => BigInt(i)), [1, ids.length]),
    };
    for (const name of session.inputNames.filter((n) => n.startsWith('past_key_values.'))) {
      feeds[name] = new ort.Tensor('float32', new Float32Array(0), [1, 2, 0, 8]);
    }
    const out = await session.run(feeds, ['logits']);
    return Float32Array.from(out.logits!.data as Float32Array);
  } finally {
    await session.release();
  }
}

describe('judgekit convert with external data', () => {
  it('writes model.onnx plus model.onnx_data above --external-data-above, and onnxruntime-node gives the same logits from it as from the single-file conversion', async () => {
    const inline = await cli(['convert', 'tiny.safetensors', '--out', 'inline.onnx']);
    expect(inline.code, inline.stderr).toBe(0);
    expect(inline.stdout).toMatch(/^wrote \S+inline\.onnx: decoder graph/);
    const external = await cli(['convert', 'tiny.safetensors', '--out', 'external.onnx', '--external-data-above', '1000']);
    expect(external.code, external.stderr).toBe(0);
    expect(external.stdout).toMatch(/^wrote \S+external\.onnx and \S+external\.onnx_data: decoder graph/);

    const files = (await readdir(dir)).filter((name) => name.startsWith('inline.') || name.startsWith('external.')).sort();
    expect(files).toEqual(['external.onnx', 'external.onnx_data', 'inline.onnx']);
    // The weights (2 x 64 x 16 embeddings and head, 2 layers of 12 x 16 x 16) live in the data file, not the model.
    const weightBytes = 4 * (2 * 64 * 16 + 16 * 16 + 2 * 12 * 16 * 16);
    expect((await stat(join(dir, 'external.onnx_data'))).size).toBeGreaterThan(weightBytes);
    expect((await stat(join(dir, 'external.onnx'))).size).toBeLessThan((await stat(join(dir, 'inline.onnx'))).size - weightBytes);

    const a = await decoderLogits(join(dir, 'inline.onnx'));
    const b = await decoderLogits(join(dir, 'external.onnx'));
    expect(a.length).toBe(5 * 64);
    expect([...b]).toEqual([...a]);
  });

  it('keeps a model under the automatic 2 GiB threshold in one file unless told otherwise, and refuses a threshold that is not a byte count', async () => {
    const run = await cli(['convert', 'tiny.safetensors', '--out', 'auto.onnx', '--kind', 'loss']);
    expect(run.code, run.stderr).toBe(0);
    expect((await readdir(dir)).filter((name) => name.startsWith('auto.'))).toEqual(['auto.onnx']);
    const bad = await cli(['convert', 'tiny.safetensors', '--out', 'bad.onnx', '--external-data-above', '2GB']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--external-data-above must be a whole number of bytes, got "2GB"/);
  });

  it('gives the same loss from an external-data loss graph as from the checkpoint', async () => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(dir, 'tokens.bin'), Uint16Array.from({ length: 49 }, (_, i) => (i * 29 + 7) % 64));
    const converted = await cli(['convert', 'tiny.safetensors', '--out', 'loss-ext.onnx', '--kind', 'loss', '--external-data-above', '0']);
    expect(converted.code, converted.stderr).toBe(0);
    const args = ['tokens.bin', '--context-length', '16', '--batch-size', '3', '--device', 'cpu', '--json'];
    const base = await cli(['loss', 'tiny.safetensors', ...args]);
    const ext = await cli(['loss', 'loss-ext.onnx', ...args]);
    expect(base.code, base.stderr).toBe(0);
    expect(ext.code, ext.stderr).toBe(0);
    const [x, y] = [JSON.parse(base.stdout) as { loss: number; tokens: number }, JSON.parse(ext.stdout) as { loss: number; tokens: number }];
    expect(y.tokens).toBe(48);
    expect(Math.abs(x.loss - y.loss)).toBeLessThan(1e-5);
  });
});

import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOrt } from '../engine/ort-runtime.js';
import { OnnxDataType, OnnxGraphBuilder } from './graph-builder.js';
import { readOnnxMetadata } from './onnx-metadata.js';
import { ProtoWriter } from './onnx-proto.js';

function smallGraph(): OnnxGraphBuilder {
  const b = new OnnxGraphBuilder('small', 17);
  b.setMetadata('purpose', 'test');
  const x = b.input('x', OnnxDataType.FLOAT, ['n', 3]);
  const w = b.floatInitializer('w', [3, 2], Float32Array.from({ length: 6 }, (_, i) => i + 1)); // [[1,2],[3,4],[5,6]]
  const bias = b.floatInitializer('bias', [2], Float32Array.from([0.5, -0.5]));
  const y = b.op('Add', [b.op('MatMul', [x, w]), bias]);
  const t = b.op('Transpose', [y], { perm: [1, 0] });
  b.output(b.op('ReduceSum', [t, b.int64Constant([1])], { keepdims: 0 }), 'sums', OnnxDataType.FLOAT, [2]);
  b.output(y, 'y', OnnxDataType.FLOAT, ['n', 2]);
  return b;
}

describe('ProtoWriter', () => {
  it.each([
    [1, [0x08, 0x01]],
    [300, [0x08, 0xac, 0x02]],
    [-1, [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]],
  ])('encodes int %s as a varint', (value, bytes) => {
    expect([...new ProtoWriter().int(1, value).out.toBytes()]).toEqual(bytes);
  });

  it('encodes strings and nested messages with their lengths', () => {
    const inner = new ProtoWriter().string(1, 'ab');
    expect([...new ProtoWriter().message(2, inner).out.toBytes()]).toEqual([0x12, 4, 0x0a, 2, 0x61, 0x62]);
  });
});

describe('OnnxGraphBuilder', () => {
  it('builds a model ONNX Runtime runs, inline and with external data', async () => {
    const ort = await loadOrt();
    const x = new ort.Tensor('float32', Float32Array.from([1, 0, 0, 0, 1, 1]), [2, 3]);
    const check = async (session: Awaited<ReturnType<typeof ort.InferenceSession.create>>) => {
      const out = await session.run({ x });
      expect([...(out.y!.data as Float32Array)]).toEqual([1.5, 1.5, 8.5, 9.5]);
      expect([...(out.sums!.data as Float32Array)]).toEqual([10, 11]);
      await session.release();
    };
    await check(await ort.InferenceSession.create(smallGraph().toBytes()));
    const dir = await mkdtemp(join(tmpdir(), 'judgekit-graph-'));
    const path = join(dir, 'small.onnx');
    const files = await smallGraph().writeFile(path, { externalData: true, externalMinBytes: 0 });
    expect(files).toEqual([path, `${path}_data`]);
    expect((await stat(`${path}_data`)).size).toBeGreaterThanOrEqual(24 + 8);
    expect(await readOnnxMetadata(path)).toEqual({ purpose: 'test' });
    await check(await ort.InferenceSession.create(path));
  });

  it('shares equal constants and reads like the maths with its shorthands', async () => {
    const b = new OnnxGraphBuilder('maths');
    expect(b.int64([2, 3])).toBe(b.int64([2, 3]));
    expect(b.int64([2, 3])).not.toBe(b.int64([2, 3], [1, 2]));
    expect(b.float(0.5)).toBe(b.float(0.5));
    expect(b.float(0)).not.toBe(b.float(-0));
    const x = b.input('x', OnnxDataType.FLOAT, [2, 3]);
    // Column sums of x x^T / 2 minus the first two rows of x^T: a Gemm, Transpose, Reshape, Slice and ReduceSum.
    const gram = b.mul(b.gemm(x, x, 0, 1), b.float(0.5));
    const flat = b.reshape(b.transpose(x, [1, 0]), [3, 2]);
    const head = b.op('Slice', [flat, b.int64([0]), b.int64([2]), b.int64([0])]);
    b.output(b.reduceSum(b.sub(gram, head), [0]), 'y', OnnxDataType.FLOAT, [2]);
    const ort = await loadOrt();
    const session = await ort.InferenceSession.create(b.toBytes());
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]) });
    // gram * 0.5 = [[7, 16], [16, 38.5]]; x^T = [[1, 4], [2, 5], [3, 6]], first two rows [[1, 4], [2, 5]].
    expect([...(out.y!.data as Float32Array)]).toEqual([7 - 1 + 16 - 2, 16 - 4 + 38.5 - 5]);
    await session.release();
  });

  it('refuses a value name used twice', () => {
    const b = new OnnxGraphBuilder('dup');
    b.input('x', OnnxDataType.FLOAT, [1]);
    expect(() => b.input('x', OnnxDataType.FLOAT, [1])).toThrow(/"x" is used twice/);
  });
});

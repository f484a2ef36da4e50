// SafetensorsFile.read takes the header and then each tensor by a positioned read into a buffer of its own: it
// finds tensors wherever their offsets put them (gaps, any order), never reads the whole file with readFile, and
// reads a file over 2 GiB (a sparse one here: its unwritten bytes cost no disk) that Node's readFile refuses.
import fc from 'fast-check';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { floatToHalf, halfToFloat, SafetensorsFile } from './safetensors.js';

const readFileCalls = vi.hoisted(() => [] as string[]);
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const readFile = (async (...args: Parameters<typeof actual.readFile>) => {
    readFileCalls.push(String(args[0]));
    return actual.readFile(...args);
  }) as typeof actual.readFile;
  return { ...actual, readFile, default: { ...actual, readFile } };
});

type Dtype = 'F32' | 'F16' | 'I32';
interface Planned {
  name: string;
  dtype: Dtype;
  shape: number[];
  /** The values the reader must return (F16 values are exact halves). */
  values: number[];
  /** Zero bytes before this tensor in the data section. */
  gap: number;
}

function tensorBytes(t: Planned): Uint8Array {
  if (t.dtype === 'F32') return new Uint8Array(Float32Array.from(t.values).buffer);
  if (t.dtype === 'I32') return new Uint8Array(Int32Array.from(t.values).buffer);
  return new Uint8Array(Uint16Array.from(t.values, floatToHalf).buffer);
}

/** A safetensors file whose tensors lie in `order` in the data section with gaps between them. */
function assemble(tensors: Planned[], order: number[], headerPad: number): Uint8Array {
  const header: Record<string, unknown> = {};
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const index of order) {
    const t = tensors[index]!;
    chunks.push(new Uint8Array(t.gap));
    offset += t.gap;
    const bytes = tensorBytes(t);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  // Trailing padding after the last tensor, and an unaligned header length (so tensors may be unaligned too).
  chunks.push(new Uint8Array(5));
  const json = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(headerPad));
  const out = new Uint8Array(8 + json.byteLength + offset + 5);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  let at = 8 + json.byteLength;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

const planned: fc.Arbitrary<Planned[]> = fc
  .uniqueArray(
    fc.record({
      name: fc.string({ minLength: 1, maxLength: 8 }).filter((n) => n !== '__metadata__'),
      dtype: fc.constantFrom<Dtype>('F32', 'F16', 'I32'),
      shape: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
      seed: fc.integer(),
      gap: fc.integer({ min: 0, max: 37 }),
    }),
    { selector: (t) => t.name, minLength: 1, maxLength: 5 },
  )
  .map((list) =>
    list.map(({ name, dtype, shape, seed, gap }) => {
      const count = shape.reduce((a, b) => a * b, 1);
      const values = Array.from({ length: count }, (_, i) => {
        const x = ((((seed + i * 7919) % 2001) + 2001) % 2001) - 1000;
        return dtype === 'I32' ? x * 2_000_003 : dtype === 'F16' ? halfToFloat(floatToHalf(x / 8)) : x / 3;
      });
      return { name, dtype, shape, values: dtype === 'F32' ? [...Float32Array.from(values)] : values, gap };
    }),
  );

describe('SafetensorsFile.read by positioned reads', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'judgekit-st-positioned-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    readFileCalls.length = 0;
  });

  it('returns every tensor of a file with gaps, any offset order and unaligned data by its own offsets, without calling readFile', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        planned.chain((tensors) => fc.tuple(fc.constant(tensors), fc.shuffledSubarray(tensors.map((_, i) => i), { minLength: tensors.length }), fc.integer({ min: 0, max: 7 }))),
        async ([tensors, order, headerPad]) => {
          const path = join(dir, `case-${run++}.safetensors`);
          await writeFile(path, assemble(tensors, order, headerPad));
          const file = await SafetensorsFile.read(path);
          expect(file.names().sort()).toEqual(tensors.map((t) => t.name).sort());
          for (const t of tensors) {
            const got = t.dtype === 'I32' ? file.int32(t.name) : file.float32(t.name);
            expect(got.shape).toEqual(t.shape);
            expect([...got.data]).toEqual(t.values);
          }
          await rm(path);
        },
      ),
      { numRuns: 60 },
    );
    expect(readFileCalls).toEqual([]);
  });

  it('reads the tensors at the end of a sparse file over 2 GiB, one straddling the 2 GiB mark, at their offsets', async () => {
    const path = join(dir, 'sparse-over-2gib.safetensors');
    const high = 2 ** 31 + 4096;
    const header: Record<string, unknown> = {
      __metadata__: { format: 'pt' },
      first: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      straddle: { dtype: 'I32', shape: [4], data_offsets: [2 ** 31 - 8, 2 ** 31 + 8] },
      last: { dtype: 'F32', shape: [2, 3], data_offsets: [high, high + 24] },
    };
    let json = JSON.stringify(header);
    json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
    const headerBytes = new TextEncoder().encode(json);
    const dataOffset = 8 + headerBytes.byteLength;
    const size = dataOffset + high + 24 + 1000;
    const handle = await open(path, 'w');
    try {
      const length = new Uint8Array(8);
      new DataView(length.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
      await handle.write(length, 0, 8, 0);
      await handle.write(headerBytes, 0, headerBytes.byteLength, 8);
      await handle.truncate(size);
      const put = (position: number, bytes: Uint8Array) => handle.write(bytes, 0, bytes.byteLength, dataOffset + position);
      await put(0, new Uint8Array(Float32Array.from([1.5, -2]).buffer));
      await put(2 ** 31 - 8, new Uint8Array(Int32Array.from([7, -8, 2147483647, -2147483648]).buffer));
      await put(high, new Uint8Array(Float32Array.from([0.25, 1, -3.5, 4, 1e-3, 65504]).buffer));
    } finally {
      await handle.close();
    }
    const file = await SafetensorsFile.read(path);
    expect(file.header.dataOffset + high + 24 + 1000).toBe(size);
    expect(size).toBeGreaterThan(2 ** 31);
    expect([...file.float32('first').data]).toEqual([1.5, -2]);
    expect([...file.int32('straddle').data]).toEqual([7, -8, 2147483647, -2147483648]);
    expect(file.float32('last').shape).toEqual([2, 3]);
    expect([...file.float32('last').data]).toEqual([...Float32Array.from([0.25, 1, -3.5, 4, 1e-3, 65504])]);
    expect(file.header.metadata).toEqual({ format: 'pt' });
    expect(readFileCalls).toEqual([]);
    await rm(path);
  });

  it('reads only the tensors `include` accepts, and a tensor left out or released throws naming the file and the tensor', async () => {
    const path = join(dir, 'include.safetensors');
    const tensors: Planned[] = [
      { name: 'keep', dtype: 'F32', shape: [2], values: [1, 2], gap: 3 },
      { name: 'skip', dtype: 'I32', shape: [1], values: [9], gap: 0 },
    ];
    await writeFile(path, assemble(tensors, [1, 0], 0));
    const file = await SafetensorsFile.read(path, { include: (name) => name === 'keep' });
    expect(file.names().sort()).toEqual(['keep', 'skip']);
    expect(file.has('skip')).toBe(true);
    expect(() => file.int32('skip')).toThrow(`${path}: tensor "skip" was not read`);
    expect([...file.float32('keep').data]).toEqual([1, 2]);
    file.release('keep');
    expect(() => file.float32('keep')).toThrow(`${path}: tensor "keep" was not read`);
  });
});

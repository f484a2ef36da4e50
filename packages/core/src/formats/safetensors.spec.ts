import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeSafetensors, floatToHalf, halfToFloat, readSafetensorsHeader, SafetensorsFile, writeSafetensors } from './safetensors.js';

function rawFile(header: object, dataBytes: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

describe('safetensors', () => {
  it.each([
    [0x3c00, 1],
    [0xc000, -2],
    [0x3555, 0.333251953125],
    [0x0001, 2 ** -24],
    [0x7bff, 65504],
    [0x7c00, Infinity],
  ])('half %s decodes to %s and back', (bits, value) => {
    expect(halfToFloat(bits)).toBe(value);
    expect(floatToHalf(value)).toBe(bits);
  });

  it('round-trips F32, F16, BF16, I64 and U16 tensors', () => {
    const bytes = encodeSafetensors({
      a: { dtype: 'F32', shape: [2, 2], data: Float32Array.from([1.5, -2, 3.25, 0]) },
      b: { dtype: 'F16', shape: [3], data: [0.5, -1, 2048] },
      c: { dtype: 'BF16', shape: [2], data: [1, -3.5] },
      d: { dtype: 'I64', shape: [2], data: [7, 50256] },
      e: { dtype: 'U16', shape: [2], data: [65535, 3] },
    });
    const file = SafetensorsFile.fromBytes(bytes);
    expect(file.names().sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect([...file.float32('a').data]).toEqual([1.5, -2, 3.25, 0]);
    expect(file.float32('a').shape).toEqual([2, 2]);
    expect([...file.float32('b').data]).toEqual([0.5, -1, 2048]);
    expect([...file.float32('c').data]).toEqual([1, -3.5]);
    expect([...file.int32('d').data]).toEqual([7, 50256]);
    expect([...file.int32('e').data]).toEqual([65535, 3]);
    expect(file.header.dataOffset % 8).toBe(0);
  });

  it('rounds BF16 to nearest', () => {
    const file = SafetensorsFile.fromBytes(encodeSafetensors({ x: { dtype: 'BF16', shape: [1], data: [1.00390625 + 1e-6] } }));
    expect(file.float32('x').data[0]).toBe(1.0078125);
  });

  it.each([
    ['offsets past the end', { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 4, /tensor "w" data_offsets \[0, 8\] fall outside the data section \(4 bytes\)/],
    ['size disagreeing with the shape', { w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8, /tensor "w" \(F32 \[3\]\) needs 12 bytes but its offsets span 8/],
    ['an unknown dtype', { w: { dtype: 'Q4', shape: [1], data_offsets: [0, 1] } }, 1, /tensor "w" has unsupported dtype "Q4"/],
    ['a bad shape', { w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4, /tensor "w" has an invalid shape/],
  ])('rejects %s with an error naming the tensor', (_, header, dataBytes, message) => {
    expect(() => SafetensorsFile.fromBytes(rawFile(header, dataBytes), 'x.safetensors')).toThrow(message);
  });

  it('rejects a header length beyond the file', () => {
    const bytes = new Uint8Array(16);
    new DataView(bytes.buffer).setBigUint64(0, 1000n, true);
    expect(() => SafetensorsFile.fromBytes(bytes, 'bad.safetensors')).toThrow(/bad.safetensors is not a safetensors file: header length 1000/);
  });

  it('writes a file whose header can be read alone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'judgekit-st-'));
    const path = join(dir, 'x.safetensors');
    await writeSafetensors(path, { tokens: { dtype: 'U16', shape: [3], data: [1, 2, 3] } }, { format: 'pt' });
    const header = await readSafetensorsHeader(path);
    expect(header.metadata).toEqual({ format: 'pt' });
    expect(header.entries.get('tokens')).toMatchObject({ dtype: 'U16', shape: [3], begin: 0, end: 6 });
    await writeFile(join(dir, 'empty.safetensors'), new Uint8Array(3));
    await expect(SafetensorsFile.read(join(dir, 'empty.safetensors'))).rejects.toThrow(/too short/);
  });
});

// Property tests of the safetensors header parser against random bytes, random JSON headers and real headers
// with one tensor entry, offset or length byte damaged: it returns a consistent header or throws a
// JudgekitError naming the file (and the tensor, for a tensor's fault); it never reads past the file.
import { JudgekitError } from '../errors.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeSafetensors, parseSafetensorsHeader, type SafetensorsInput } from './safetensors.js';

const RUNS = { numRuns: 300 };
const FILE = '/models/gpt2 small/model.safetensors';

const tensorName = fc.oneof(fc.constantFrom('wte.weight', 'h.0.attn.c_attn.weight', 'ln_f.bias', 'a/b', '"quoted"'), fc.string({ minLength: 1, maxLength: 12 })).filter((name) => name !== '__metadata__');
const tensor: fc.Arbitrary<SafetensorsInput> = fc
  .tuple(fc.constantFrom<SafetensorsInput['dtype']>('F32', 'F16', 'BF16', 'I32', 'U16'), fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }))
  .map(([dtype, shape]) => ({ dtype, shape, data: new Array<number>(shape.reduce((a, b) => a * b, 1)).fill(1) }));
const validFile = fc.dictionary(tensorName, tensor, { minKeys: 0, maxKeys: 4 }).map((tensors) => encodeSafetensors(tensors, { format: 'pt' }));

function withHeader(json: string, dataBytes: number): Uint8Array {
  const header = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + header.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  return out;
}

function headerJson(bytes: Uint8Array): Record<string, unknown> {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) as Record<string, unknown>;
}

// A tensor entry of any JSON shape, null included.
const entryValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.record(
    {
      dtype: fc.oneof(fc.constantFrom('F32', 'F16', 'I64', 'Q4', 'f32', ''), fc.jsonValue({ maxDepth: 1 })),
      shape: fc.oneof(fc.array(fc.oneof(fc.integer({ min: -2, max: 4 }), fc.double(), fc.constant(2 ** 53)), { maxLength: 3 }), fc.jsonValue({ maxDepth: 1 })),
      data_offsets: fc.oneof(fc.tuple(fc.integer({ min: -4, max: 64 }), fc.integer({ min: -4, max: 64 })), fc.array(fc.nat(64), { maxLength: 3 }), fc.jsonValue({ maxDepth: 1 })),
    },
    { requiredKeys: [] },
  ),
);

/** Real files with one thing broken: a byte anywhere, the length prefix, one tensor entry, or the end cut off. */
const damagedFile = fc.oneof(
  fc.tuple(validFile, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([bytes, at, value]) => {
    const copy = bytes.slice();
    if (copy.length > 0) copy[at % copy.length] = value;
    return copy;
  }),
  fc.tuple(validFile, fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })).map(([bytes, length]) => {
    const copy = bytes.slice();
    new DataView(copy.buffer).setBigUint64(0, length, true);
    return copy;
  }),
  fc.tuple(validFile, fc.double({ min: 0, max: 1, noNaN: true })).map(([bytes, fraction]) => bytes.slice(0, Math.floor(fraction * bytes.length))),
  fc.tuple(validFile, tensorName, entryValue, fc.nat(64)).map(([bytes, name, value, dataBytes]) => {
    const header = headerJson(bytes);
    header[name] = value;
    return withHeader(JSON.stringify(header), dataBytes);
  }),
  fc.tuple(fc.jsonValue({ maxDepth: 3 }), fc.nat(64)).map(([value, dataBytes]) => withHeader(JSON.stringify(value), dataBytes)),
  fc.uint8Array({ maxLength: 64 }),
);

describe('parseSafetensorsHeader on damaged files', () => {
  it('reads back every valid file it wrote', () => {
    fc.assert(
      fc.property(validFile, (bytes) => {
        const header = parseSafetensorsHeader(bytes, bytes.byteLength, FILE);
        expect(header.dataOffset).toBeLessThanOrEqual(bytes.byteLength);
        expect(header.metadata).toEqual({ format: 'pt' });
      }),
      RUNS,
    );
  });

  it('returns a header whose tensors lie inside the file, or a JudgekitError naming the file and tensor', () => {
    fc.assert(
      fc.property(damagedFile, (bytes) => {
        let header;
        try {
          header = parseSafetensorsHeader(bytes, bytes.byteLength, FILE);
        } catch (error) {
          expect(JudgekitError.is(error)).toBe(true);
          const problem = error as JudgekitError;
          expect(problem.file).toBe(FILE);
          expect(problem.message).toContain(FILE);
          if (problem.location !== undefined) expect(problem.message).toContain(`tensor "${problem.location}"`);
          return;
        }
        for (const entry of header.entries.values()) {
          expect(entry.begin).toBeGreaterThanOrEqual(0);
          expect(entry.end).toBeGreaterThanOrEqual(entry.begin);
          expect(header.dataOffset + entry.end).toBeLessThanOrEqual(bytes.byteLength);
        }
      }),
      RUNS,
    );
  });

  it('rejects a header length beyond the file without reading it', () => {
    fc.assert(
      fc.property(validFile, fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }), (bytes, length) => {
        fc.pre(8n + length > BigInt(bytes.byteLength));
        const copy = bytes.slice();
        new DataView(copy.buffer).setBigUint64(0, length, true);
        expect(() => parseSafetensorsHeader(copy, copy.byteLength, FILE)).toThrow(/header length/);
      }),
      RUNS,
    );
  });

  it('rejects a tensor entry that is null, naming the tensor', () => {
    const bytes = withHeader('{"wte.weight": null}', 0);
    expect(() => parseSafetensorsHeader(bytes, bytes.byteLength, FILE)).toThrow(expect.objectContaining({ kind: 'model', file: FILE, location: 'wte.weight' }));
  });
});

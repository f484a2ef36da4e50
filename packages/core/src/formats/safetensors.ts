// Reads and writes the safetensors format: 8-byte little-endian header length, a JSON header naming each
// tensor's dtype, shape and [begin, end) byte offsets into the data that follows, then the data.
import { open, writeFile, type FileHandle } from 'node:fs/promises';
import { JudgekitError } from '../errors.js';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16' | 'F64' | 'I64' | 'I32' | 'U32' | 'I16' | 'U16' | 'U8' | 'I8' | 'BOOL';

const DTYPE_BYTES: Readonly<Record<SafetensorsDtype, number>> = Object.freeze({
  F64: 8, I64: 8, F32: 4, I32: 4, U32: 4, F16: 2, BF16: 2, I16: 2, U16: 2, U8: 1, I8: 1, BOOL: 1,
});

export interface SafetensorsEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte offsets relative to the start of the data section. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  entries: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
  /** Absolute byte offset of the data section in the file. */
  dataOffset: number;
}

export interface FloatTensor {
  shape: number[];
  data: Float32Array;
}

/** Parse and validate a header from the first bytes of a file; `fileSize` bounds the offsets. */
export function parseSafetensorsHeader(bytes: Uint8Array, fileSize: number, file = '<buffer>'): SafetensorsHeader {
  if (bytes.byteLength < 8) throw new JudgekitError('model', `${file} is too short to be a safetensors file (${bytes.byteLength} bytes).`, { file });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength <= 0 || 8 + headerLength > fileSize || headerLength > 100_000_000) {
    throw new JudgekitError('model', `${file} is not a safetensors file: header length ${headerLength} does not fit the file size ${fileSize}.`, { file });
  }
  if (bytes.byteLength < 8 + headerLength) throw new JudgekitError('internal', `header of ${file} was not fully read`, { file });
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch (error) {
    throw new JudgekitError('model', `${file}: the safetensors header is not valid JSON (${(error as Error).message}).`, { file, cause: error });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new JudgekitError('model', `${file}: the safetensors header must be a JSON object.`, { file });
  }
  const dataOffset = 8 + headerLength;
  const dataSize = fileSize - dataOffset;
  const entries = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = (raw ?? {}) as Record<string, string>;
      continue;
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new JudgekitError('model', `${file}: tensor "${name}" has a header entry ${JSON.stringify(raw)}; expected an object with dtype, shape and data_offsets.`, { file, location: name });
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = info.dtype as SafetensorsDtype;
    if (typeof info.dtype !== 'string' || !(dtype in DTYPE_BYTES)) {
      throw new JudgekitError('model', `${file}: tensor "${name}" has unsupported dtype ${JSON.stringify(info.dtype)}; supported: ${Object.keys(DTYPE_BYTES).join(', ')}.`, { file, location: name });
    }
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new JudgekitError('model', `${file}: tensor "${name}" has an invalid shape ${JSON.stringify(shape)}.`, { file, location: name });
    }
    const offsets = info.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new JudgekitError('model', `${file}: tensor "${name}" has invalid data_offsets ${JSON.stringify(offsets)}.`, { file, location: name });
    }
    const [begin, end] = offsets as [number, number];
    const expectedBytes = (shape as number[]).reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype];
    if (end < begin || end > dataSize) {
      throw new JudgekitError('model', `${file}: tensor "${name}" data_offsets [${begin}, ${end}] fall outside the data section (${dataSize} bytes); the file is truncated or corrupt.`, { file, location: name });
    }
    if (end - begin !== expectedBytes) {
      throw new JudgekitError('model', `${file}: tensor "${name}" (${dtype} [${(shape as number[]).join(', ')}]) needs ${expectedBytes} bytes but its offsets span ${end - begin}.`, { file, location: name });
    }
    entries.set(name, { name, dtype, shape: shape as number[], begin, end });
  }
  return { entries, metadata, dataOffset };
}

/** Open a safetensors file and read only its header. */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  const handle = await open(path, 'r');
  try {
    return await readHeaderFrom(handle, path);
  } finally {
    await handle.close();
  }
}

async function readHeaderFrom(handle: FileHandle, path: string): Promise<SafetensorsHeader> {
  const { size } = await handle.stat();
  const lengthBytes = new Uint8Array(8);
  await handle.read(lengthBytes, 0, 8, 0);
  const headerLength = size >= 8 ? Number(new DataView(lengthBytes.buffer).getBigUint64(0, true)) : 0;
  const toRead = Math.min(size, 8 + Math.max(0, Math.min(headerLength, 100_000_000)));
  const bytes = await readRange(handle, 0, toRead, path, 'header');
  return parseSafetensorsHeader(bytes, size, path);
}

/**
 * Positioned reads are done in chunks: one read(2) returns at most about 2 GiB on Linux, and Node refuses lengths
 * over 2^31 - 1 in one call.
 */
const READ_CHUNK_BYTES = 256 * 2 ** 20;

/** `length` bytes at `position` of an open file, in a buffer of their own. */
async function readRange(handle: FileHandle, position: number, length: number, path: string, what: string): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(out, done, Math.min(length - done, READ_CHUNK_BYTES), position + done);
    if (bytesRead === 0) {
      throw new JudgekitError('model', `${path}: ${what} ends past the end of the file (read ${done} of ${length} bytes at byte ${position}); the file is truncated.`, { file: path, location: what });
    }
    done += bytesRead;
  }
  return out;
}

export interface ReadSafetensorsFileOptions {
  /** Read only the tensors this accepts (the header still lists all of them); default: every tensor. */
  include?: (name: string) => boolean;
}

/**
 * A safetensors file's tensors in memory, decoding them on request. `read` takes the header and then each tensor
 * with a positioned read into a buffer of its own: never the whole file in one buffer (Node cannot read a file over
 * 2 GiB at once, and GPT-2 large is 3.1 GB in F32), and memory is one copy of the tensors read.
 */
export class SafetensorsFile {
  private constructor(
    readonly path: string,
    readonly header: SafetensorsHeader,
    /** Each read tensor's bytes in a buffer of its own (`read`), or the whole file (`fromBytes`). */
    private readonly source: Map<string, Uint8Array> | Uint8Array,
  ) {}

  static async read(path: string, options: ReadSafetensorsFileOptions = {}): Promise<SafetensorsFile> {
    const handle = await open(path, 'r');
    try {
      const header = await readHeaderFrom(handle, path);
      const tensors = new Map<string, Uint8Array>();
      for (const entry of header.entries.values()) {
        if (options.include && !options.include(entry.name)) continue;
        tensors.set(entry.name, await readRange(handle, header.dataOffset + entry.begin, entry.end - entry.begin, path, `tensor "${entry.name}"`));
      }
      return new SafetensorsFile(path, header, tensors);
    } finally {
      await handle.close();
    }
  }

  static fromBytes(bytes: Uint8Array, path = '<buffer>'): SafetensorsFile {
    return new SafetensorsFile(path, parseSafetensorsHeader(bytes, bytes.byteLength, path), bytes);
  }

  /**
   * Drop a tensor's bytes once the caller holds what it needs from them (e.g. a transposed copy), so a loader keeps
   * near one copy of the weights. Later reads of it throw; `has`, `entry` and `names` still list it.
   */
  release(name: string): void {
    if (this.source instanceof Map) this.source.delete(name);
  }

  names(): string[] {
    return [...this.header.entries.keys()];
  }

  has(name: string): boolean {
    return this.header.entries.has(name);
  }

  entry(name: string): SafetensorsEntry {
    const entry = this.header.entries.get(name);
    if (!entry) throw new JudgekitError('model', `${this.path} has no tensor "${name}".`, { file: this.path, location: name });
    return entry;
  }

  /** Raw little-endian bytes of a tensor. */
  rawBytes(name: string): Uint8Array {
    const entry = this.entry(name);
    if (this.source instanceof Uint8Array) return this.source.subarray(this.header.dataOffset + entry.begin, this.header.dataOffset + entry.end);
    const bytes = this.source.get(name);
    if (!bytes) {
      throw new JudgekitError('internal', `${this.path}: tensor "${name}" was not read (left out when the file was opened, or released).`, { file: this.path, location: name });
    }
    return bytes;
  }

  /** Decode a floating-point tensor (F32, F16, BF16, F64) to F32; F32 data is a read-only view into the file. */
  float32(name: string): FloatTensor {
    const entry = this.entry(name);
    return { shape: entry.shape, data: decodeToFloat32(this.rawBytes(name), entry.dtype, `${this.path}: tensor "${name}"`) };
  }

  /** Decode an integer tensor (U16, I32, U32, I64, U8, I16) to Int32 (values beyond int32 are rejected). */
  int32(name: string): { shape: number[]; data: Int32Array } {
    const entry = this.entry(name);
    return { shape: entry.shape, data: decodeToInt32(this.rawBytes(name), entry.dtype, `${this.path}: tensor "${name}"`) };
  }
}

function aligned(bytes: Uint8Array, alignment: number): ArrayBuffer {
  // Typed-array views need an aligned offset; copy only when the tensor happens to be misaligned.
  if (bytes.byteOffset % alignment === 0) return bytes.buffer as ArrayBuffer;
  return bytes.slice().buffer as ArrayBuffer;
}

export function decodeToFloat32(bytes: Uint8Array, dtype: SafetensorsDtype, what: string): Float32Array {
  const count = bytes.byteLength / DTYPE_BYTES[dtype];
  switch (dtype) {
    case 'F32':
      // A view, not a copy, when aligned: a 124M-parameter checkpoint is 500 MB, and every copy costs memory and
      // time. Callers treat weights as read-only.
      if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, count);
      return new Float32Array(aligned(bytes, 4), 0, count);
    case 'F64': {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
    case 'F16': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(bytes[2 * i]! | (bytes[2 * i + 1]! << 8));
      return out;
    }
    case 'BF16': {
      const out = new Float32Array(count);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = ((bytes[2 * i]! | (bytes[2 * i + 1]! << 8)) << 16) >>> 0;
      return out;
    }
    default:
      throw new JudgekitError('model', `${what} has dtype ${dtype}; expected a float tensor (F32, F16 or BF16).`);
  }
}

export function decodeToInt32(bytes: Uint8Array, dtype: SafetensorsDtype, what: string): Int32Array {
  const count = bytes.byteLength / DTYPE_BYTES[dtype];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Int32Array(count);
  const read: ((i: number) => number) | undefined = {
    U8: (i: number) => view.getUint8(i),
    I8: (i: number) => view.getInt8(i),
    U16: (i: number) => view.getUint16(i * 2, true),
    I16: (i: number) => view.getInt16(i * 2, true),
    I32: (i: number) => view.getInt32(i * 4, true),
    U32: (i: number) => view.getUint32(i * 4, true),
    I64: (i: number) => Number(view.getBigInt64(i * 8, true)),
  }[dtype as string];
  if (!read) throw new JudgekitError('input', `${what} has dtype ${dtype}; expected an integer tensor (U16, I32, U32 or I64).`);
  for (let i = 0; i < count; i++) {
    const value = read(i);
    if (value > 2147483647 || value < -2147483648) throw new JudgekitError('input', `${what}: element ${i} (${value}) does not fit in int32.`);
    out[i] = value;
  }
  return out;
}

/** IEEE half bits to a JS number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

export interface SafetensorsInput {
  dtype: 'F32' | 'F16' | 'BF16' | 'I32' | 'I64' | 'U16';
  shape: number[];
  /** For F16/BF16 give float values; they are rounded when written. */
  data: Float32Array | Int32Array | Uint16Array | BigInt64Array | number[];
}

/** Encode tensors as a safetensors file body (header sorted by name, data 8-byte aligned). */
export function encodeSafetensors(tensors: Record<string, SafetensorsInput>, metadata?: Record<string, string>): Uint8Array {
  const names = Object.keys(tensors).sort();
  const chunks: Uint8Array[] = [];
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const tensor = tensors[name]!;
    const count = tensor.shape.reduce((a, b) => a * b, 1);
    if (tensor.data.length !== count) {
      throw new JudgekitError('input', `tensor "${name}": shape [${tensor.shape.join(', ')}] needs ${count} values, got ${tensor.data.length}.`, { location: name });
    }
    const bytes = encodeTensorData(tensor, count);
    header[name] = { dtype: tensor.dtype, shape: tensor.shape, data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.byteLength;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

function encodeTensorData(tensor: SafetensorsInput, count: number): Uint8Array {
  const values = tensor.data;
  switch (tensor.dtype) {
    case 'F32':
      return new Uint8Array(Float32Array.from(values as ArrayLike<number>).buffer);
    case 'I32':
      return new Uint8Array(Int32Array.from(values as ArrayLike<number>).buffer);
    case 'U16':
      return new Uint8Array(Uint16Array.from(values as ArrayLike<number>).buffer);
    case 'I64': {
      const out = new BigInt64Array(count);
      for (let i = 0; i < count; i++) out[i] = BigInt(values[i] as number | bigint);
      return new Uint8Array(out.buffer);
    }
    case 'F16': {
      const out = new Uint16Array(count);
      for (let i = 0; i < count; i++) out[i] = floatToHalf(values[i] as number);
      return new Uint8Array(out.buffer);
    }
    case 'BF16': {
      const f = Float32Array.from(values as ArrayLike<number>);
      const bits = new Uint32Array(f.buffer);
      const out = new Uint16Array(count);
      // Round to nearest even on the dropped 16 bits.
      for (let i = 0; i < count; i++) out[i] = ((bits[i]! + 0x7fff + ((bits[i]! >>> 16) & 1)) >>> 16) & 0xffff;
      return new Uint8Array(out.buffer);
    }
  }
}

/** Round a number to IEEE half bits (round to nearest). */
export function floatToHalf(value: number): number {
  const f = new Float32Array([value]);
  const x = new Uint32Array(f.buffer)[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    if ((mant >>> (shift - 1)) & 1 && ((mant & ((1 << (shift - 1)) - 1)) || half & 1)) half++;
    return sign | half;
  }
  let half = sign | (e << 10) | (mant >>> 13);
  if (mant & 0x1000 && (mant & 0xfff || half & 1)) half++;
  void e;
  return half;
}

/** Write tensors to a safetensors file. */
export async function writeSafetensors(path: string, tensors: Record<string, SafetensorsInput>, metadata?: Record<string, string>): Promise<void> {
  await writeFile(path, encodeSafetensors(tensors, metadata));
}

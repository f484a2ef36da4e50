// Read and write safetensors files (8-byte little-endian header length, JSON header, raw little-endian data) for
// the trainer's checkpoints and resume state. Reads F32, F16 and BF16 (as float32); writes F32 atomically.
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { JudgekitError, replaceAtomically } from '@judgekit/core';
import { decodeToFloat32, parseSafetensorsHeader, type SafetensorsDtype } from '@judgekit/core';

export interface NamedTensor {
  shape: number[];
  /** Float32 values (F32, F16 and BF16 tensors are read as float32). Empty for pass-through tensors. */
  data: Float32Array;
  /** A tensor of another dtype (e.g. a stored BOOL attention mask) kept byte-for-byte so it can be written back. */
  raw?: { dtype: string; bytes: Uint8Array };
}

export interface SafetensorsContents {
  tensors: Map<string, NamedTensor>;
  metadata: Record<string, string>;
  /** Every tensor name in the file, in header order (including those a filter skipped). */
  names: string[];
}

const FLOAT_WIDTH: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };

/** Decode one tensor's bytes. */
function decodeTensor(name: string, dtype: string, shape: number[], body: Uint8Array, file: string): NamedTensor {
  const width = FLOAT_WIDTH[dtype];
  // Non-float buffers (e.g. a stored attention mask) are never trained: keep their bytes to write them back.
  if (width === undefined) return { shape, data: new Float32Array(0), raw: { dtype, bytes: body.slice() } };
  const count = shape.reduce((a, b) => a * b, 1);
  if (body.length !== count * width) throw new JudgekitError('model', `${file}: tensor ${name} has ${body.length} bytes, expected ${count * width}.`, { file });
  const values = decodeToFloat32(body, dtype as SafetensorsDtype, `${file}: tensor ${name}`);
  // The trainer updates weights in place, and an aligned F32 tensor decodes to a view of the file's bytes: copy it.
  return { shape, data: dtype === 'F32' ? values.slice() : values };
}

/**
 * Read a safetensors file tensor by tensor through a file handle (no 2 GB whole-file limit: a resume state of
 * GPT-2 medium is over 4 GB).
 */
export async function readSafetensors(path: string, include: (name: string) => boolean = () => true): Promise<SafetensorsContents> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new JudgekitError('input', `Cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'}): check the checkpoint path.`, { file: path, cause: error });
  }
  try {
    const { size } = await handle.stat();
    const lengthBytes = new Uint8Array(8);
    await handle.read(lengthBytes, 0, 8, 0);
    const headerLength = Number(new DataView(lengthBytes.buffer).getBigUint64(0, true));
    if (size < 8 || 8 + headerLength > size || headerLength > 100_000_000) {
      throw new JudgekitError('model', `${path}: not a readable safetensors file (bad header length).`, { file: path });
    }
    const headerBytes = new Uint8Array(8 + headerLength);
    await handle.read(headerBytes, 0, 8 + headerLength, 0);
    // The engine's header parser validates every entry (dtype, shape, offsets within the file) and names the tensor.
    const header = parseSafetensorsHeader(headerBytes, size, path);
    // Decode each tensor from its own small buffer with the in-memory decoder's rules.
    const tensors = new Map<string, NamedTensor>();
    const names: string[] = [];
    for (const [name, entry] of header.entries) {
      names.push(name);
      if (!include(name)) continue;
      const body = new Uint8Array(entry.end - entry.begin);
      const { bytesRead } = await handle.read(body, 0, body.length, header.dataOffset + entry.begin);
      if (bytesRead !== body.length) throw new JudgekitError('model', `${path}: tensor ${name} is cut short (read ${bytesRead} of ${body.length} bytes).`, { file: path, location: name });
      tensors.set(name, decodeTensor(name, entry.dtype, entry.shape, body, path));
    }
    const metadata = header.metadata;
    return { tensors, metadata, names };
  } finally {
    await handle.close();
  }
}

function tensorBytes(tensor: NamedTensor): Uint8Array {
  return tensor.raw ? tensor.raw.bytes : new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.length * 4);
}

function encodeHeader(entries: Array<[string, NamedTensor]>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, tensor] of entries) {
    const size = tensorBytes(tensor).length;
    header[name] = { dtype: tensor.raw?.dtype ?? 'F32', shape: tensor.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data starts 8-byte aligned, as the reference implementation does.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  return out;
}

/**
 * Write a safetensors file atomically, streaming tensor by tensor (a resume state for GPT-2 small is 1.5 GB, so
 * it is never assembled in memory): a temporary file beside the target, fsync, then rename.
 */
export async function writeSafetensors(path: string, tensors: Iterable<[string, NamedTensor]>, metadata?: Record<string, string>): Promise<void> {
  const entries = [...tensors];
  await mkdir(dirname(path), { recursive: true });
  await replaceAtomically(path, async (temporary) => {
    const handle = await open(temporary, 'w');
    try {
      await handle.write(encodeHeader(entries, metadata));
      for (const [, tensor] of entries) await handle.write(tensorBytes(tensor));
      await handle.sync();
    } finally {
      await handle.close();
    }
  });
}

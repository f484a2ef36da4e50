// Reads a model file's metadata_props (ModelProto field 14) without loading the graph: top-level fields are
// walked with positioned reads, so the weights are skipped, not read.
import { open } from 'node:fs/promises';

async function readVarint(handle: import('node:fs/promises').FileHandle, position: number): Promise<{ value: number; next: number }> {
  const buf = new Uint8Array(10);
  const { bytesRead } = await handle.read(buf, 0, 10, position);
  let value = 0;
  let scale = 1;
  for (let i = 0; i < bytesRead; i++) {
    const byte = buf[i]!;
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if (!(byte & 0x80)) return { value, next: position + i + 1 };
  }
  throw new Error('truncated varint');
}

function decodeEntry(bytes: Uint8Array): [string, string] {
  const decoder = new TextDecoder();
  let key = '';
  let value = '';
  let at = 0;
  while (at < bytes.length) {
    const tag = bytes[at++]!;
    let length = 0;
    let scale = 1;
    for (;;) {
      const byte = bytes[at++]!;
      length += (byte & 0x7f) * scale;
      scale *= 128;
      if (!(byte & 0x80)) break;
    }
    const text = decoder.decode(bytes.subarray(at, at + length));
    at += length;
    if (tag >> 3 === 1) key = text;
    else if (tag >> 3 === 2) value = text;
  }
  return [key, value];
}

/** The key/value metadata of an ONNX model file ({} if it has none or cannot be parsed). */
export async function readOnnxMetadata(path: string): Promise<Record<string, string>> {
  const handle = await open(path, 'r');
  const out: Record<string, string> = {};
  try {
    const { size } = await handle.stat();
    let position = 0;
    while (position < size) {
      const tag = await readVarint(handle, position);
      const field = Math.floor(tag.value / 8);
      const wire = tag.value % 8;
      if (wire === 0) {
        position = (await readVarint(handle, tag.next)).next;
      } else if (wire === 2) {
        const length = await readVarint(handle, tag.next);
        if (field === 14) {
          const bytes = new Uint8Array(length.value);
          await handle.read(bytes, 0, length.value, length.next);
          const [key, value] = decodeEntry(bytes);
          out[key] = value;
        }
        position = length.next + length.value;
      } else if (wire === 5) {
        position = tag.next + 4;
      } else if (wire === 1) {
        position = tag.next + 8;
      } else {
        break;
      }
    }
  } catch {
    return out;
  } finally {
    await handle.close();
  }
  return out;
}

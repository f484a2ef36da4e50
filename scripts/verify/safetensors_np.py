"""A safetensors reader and writer in NumPy for the verification scripts, independent of judgekit's own code."""
import json
import struct

import numpy as np

DTYPES = {'F32': '<f4', 'F16': '<f2'}


def float32_to_bf16_bits(array):
    """bfloat16 bit patterns (uint16) of float32 values, rounded to nearest even."""
    bits = np.ascontiguousarray(array, dtype='<f4').view('<u4').astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype('<u2')


def bf16_bits_to_float32(bits):
    return (bits.astype('<u4') << 16).view('<f4')


def write_safetensors(path, tensors, metadata=None):
    """tensors: (name, dtype, ndarray) triples, dtype 'F32', 'F16' or 'BF16'; written little-endian in the given order."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header['__metadata__'] = metadata
    for name, dtype, array in tensors:
        if dtype == 'BF16':
            data = float32_to_bf16_bits(array).tobytes()
        else:
            data = np.ascontiguousarray(array, dtype=DTYPES[dtype]).tobytes()
        header[name] = {'dtype': dtype, 'shape': list(array.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(',', ':')).encode()
    raw += b' ' * (-len(raw) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(raw)))
        f.write(raw)
        for blob in blobs:
            f.write(blob)


def read_safetensors(path):
    """Every tensor of a safetensors file, read one by one at its own offset (a GPT-2-large checkpoint is 3.1 GB: no
    whole-file bytes object beside the arrays). F32 tensors stay float32; F16 and BF16 become float32."""
    out = {}
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        for name, entry in header.items():
            if name == '__metadata__':
                continue
            start, end = entry['data_offsets']
            bf16 = entry['dtype'] == 'BF16'
            dt = np.dtype('<u2' if bf16 else DTYPES[entry['dtype']])
            f.seek(8 + n + start)
            array = np.fromfile(f, dtype=dt, count=(end - start) // dt.itemsize)
            array = bf16_bits_to_float32(array) if bf16 else array.astype(np.float32, copy=False)
            out[name] = array.reshape(entry['shape'])
    return out

"""A safetensors reader and writer in NumPy for the verification scripts, independent of judgekit's own code."""
import json
import struct

import numpy as np

DTYPES = {'F32': '<f4', 'F16': '<f2'}


def write_safetensors(path, tensors, metadata=None):
    """tensors: (name, dtype, ndarray) triples, dtype 'F32' or 'F16'; written little-endian in the given order."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header['__metadata__'] = metadata
    for name, dtype, array in tensors:
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
    whole-file bytes object beside the arrays). F32 tensors stay float32 and F16 become float32."""
    out = {}
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        for name, entry in header.items():
            if name == '__metadata__':
                continue
            start, end = entry['data_offsets']
            dt = np.dtype(DTYPES[entry['dtype']])
            f.seek(8 + n + start)
            array = np.fromfile(f, dtype=dt, count=(end - start) // dt.itemsize)
            out[name] = array.astype(np.float32, copy=False).reshape(entry['shape'])
    return out

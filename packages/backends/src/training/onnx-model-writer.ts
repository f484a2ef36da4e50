// A minimal ONNX protobuf encoder for the graphs the trainer builds (nodes, small constant initializers, typed
// inputs/outputs with symbolic dimensions). Parameters are graph inputs, never initializers, so models stay small.
// Kept inside training/ so the trainer does not wait on, or reach into, the engine's ONNX writer.

/** ONNX TensorProto.DataType values used here. */
export const OnnxDataType = { float: 1, uint8: 2, int32: 6, int64: 7, bool: 9, double: 11 } as const;
export type OnnxDataTypeName = keyof typeof OnnxDataType;

export type AttributeValue = number | bigint | string | number[] | { ints: number[] } | { float: number } | { floats: number[] } | { tensor: OnnxTensorValue };

export interface OnnxTensorValue {
  type: OnnxDataTypeName;
  dims: number[];
  /** Raw little-endian bytes. */
  data: Uint8Array;
}

export interface OnnxNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  domain?: string;
  attributes?: Record<string, AttributeValue>;
}

export interface OnnxValueInfo {
  name: string;
  type: OnnxDataTypeName;
  /** A number is a fixed size, a string a symbolic dimension. */
  shape: Array<number | string>;
}

export interface OnnxInitializer extends OnnxTensorValue {
  name: string;
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  initializers: OnnxInitializer[];
  opsets: Array<{ domain: string; version: number }>;
}

class ProtoWriter {
  #chunks: Uint8Array[] = [];
  #length = 0;

  #push(bytes: Uint8Array): void {
    this.#chunks.push(bytes);
    this.#length += bytes.length;
  }

  varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    const bytes: number[] = [];
    while (v >= 0x80n) {
      bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    bytes.push(Number(v));
    this.#push(Uint8Array.from(bytes));
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  int(field: number, value: number | bigint): void {
    this.tag(field, 0);
    this.varint(value);
  }

  float(field: number, value: number): void {
    this.tag(field, 5);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.#push(bytes);
  }

  bytes(field: number, value: Uint8Array): void {
    this.tag(field, 2);
    this.varint(value.length);
    this.#push(value);
  }

  string(field: number, value: string): void {
    this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, build: (writer: ProtoWriter) => void): void {
    const inner = new ProtoWriter();
    build(inner);
    this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let offset = 0;
    for (const chunk of this.#chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }
}

function writeTensor(w: ProtoWriter, tensor: OnnxTensorValue, name?: string): void {
  for (const dim of tensor.dims) w.int(1, dim);
  w.int(2, OnnxDataType[tensor.type]);
  if (name !== undefined) w.string(8, name);
  w.bytes(9, tensor.data);
}

function writeAttribute(w: ProtoWriter, name: string, value: AttributeValue): void {
  w.string(1, name);
  if (typeof value === 'number' || typeof value === 'bigint') {
    if (typeof value === 'number' && !Number.isInteger(value)) {
      w.float(2, value);
      w.int(20, 1);
    } else {
      w.int(3, value);
      w.int(20, 2);
    }
  } else if (typeof value === 'string') {
    w.string(4, value);
    w.int(20, 3);
  } else if (Array.isArray(value)) {
    for (const v of value) w.int(8, v);
    w.int(20, 7);
  } else if ('ints' in value) {
    for (const v of value.ints) w.int(8, v);
    w.int(20, 7);
  } else if ('float' in value) {
    w.float(2, value.float);
    w.int(20, 1);
  } else if ('floats' in value) {
    for (const v of value.floats) w.float(7, v);
    w.int(20, 6);
  } else {
    w.message(5, (t) => writeTensor(t, value.tensor));
    w.int(20, 4);
  }
}

function writeValueInfo(w: ProtoWriter, info: OnnxValueInfo): void {
  w.string(1, info.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, OnnxDataType[info.type]);
      tensor.message(2, (shape) => {
        for (const dim of info.shape) {
          shape.message(1, (d) => (typeof dim === 'number' ? d.int(1, dim) : d.string(2, dim)));
        }
      });
    }),
  );
}

/** Serialise a graph as an ONNX ModelProto (IR version 8). */
export function encodeOnnxModel(graph: OnnxGraph): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, 8);
  w.string(2, 'judgekit-training');
  w.message(7, (g) => {
    for (const node of graph.nodes) {
      g.message(1, (n) => {
        for (const input of node.inputs) n.string(1, input);
        for (const output of node.outputs) n.string(2, output);
        if (node.name) n.string(3, node.name);
        n.string(4, node.opType);
        for (const [key, value] of Object.entries(node.attributes ?? {})) n.message(5, (a) => writeAttribute(a, key, value));
        if (node.domain) n.string(7, node.domain);
      });
    }
    g.string(2, graph.name);
    for (const init of graph.initializers) g.message(5, (t) => writeTensor(t, init, init.name));
    for (const input of graph.inputs) g.message(11, (v) => writeValueInfo(v, input));
    for (const output of graph.outputs) g.message(12, (v) => writeValueInfo(v, output));
  });
  for (const opset of graph.opsets) {
    w.message(8, (o) => {
      if (opset.domain) o.string(1, opset.domain);
      o.int(2, opset.version);
    });
  }
  return w.finish();
}

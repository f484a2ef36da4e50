// A minimal protobuf encoder for the ONNX messages judgekit writes (ModelProto, GraphProto, NodeProto,
// TensorProto, ValueInfoProto, AttributeProto). Messages are encoded to lists of byte chunks so large weight
// buffers are copied once, when the final file is assembled.

/** ONNX TensorProto.DataType values used here. */
export const OnnxDataType = Object.freeze({ FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10, DOUBLE: 11 } as const);
export type OnnxDataType = (typeof OnnxDataType)[keyof typeof OnnxDataType];

const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

/** An encoded message: its chunks and their total length. */
export class ProtoChunks {
  readonly chunks: Uint8Array[] = [];
  length = 0;

  push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.length += bytes.byteLength;
  }

  toBytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.byteLength;
    }
    return out;
  }
}

function varint(value: number | bigint): Uint8Array {
  let v = BigInt.asUintN(64, BigInt(value));
  const bytes: number[] = [];
  while (v >= 0x80n) {
    bytes.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  bytes.push(Number(v));
  return Uint8Array.from(bytes);
}

function fastVarint(value: number): Uint8Array {
  if (value >= 0 && value < 2 ** 31) {
    const bytes: number[] = [];
    let v = value;
    while (v >= 0x80) {
      bytes.push((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    bytes.push(v);
    return Uint8Array.from(bytes);
  }
  return varint(value);
}

const textEncoder = new TextEncoder();

/** Field writer for one message. */
export class ProtoWriter {
  readonly out = new ProtoChunks();

  private tag(field: number, wireType: number): void {
    this.out.push(fastVarint(field * 8 + wireType));
  }

  int(field: number, value: number | bigint): this {
    this.tag(field, 0);
    this.out.push(typeof value === 'number' ? fastVarint(value) : varint(value));
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, 5);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.out.push(bytes);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, 2);
    this.out.push(fastVarint(value.byteLength));
    this.out.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, textEncoder.encode(value));
  }

  message(field: number, message: ProtoWriter): this {
    this.tag(field, 2);
    this.out.push(fastVarint(message.out.length));
    for (const chunk of message.out.chunks) this.out.push(chunk);
    return this;
  }

  packedInts(field: number, values: readonly (number | bigint)[]): this {
    const inner = new ProtoChunks();
    for (const v of values) inner.push(typeof v === 'number' ? fastVarint(v) : varint(v));
    this.tag(field, 2);
    this.out.push(fastVarint(inner.length));
    for (const chunk of inner.chunks) this.out.push(chunk);
    return this;
  }

  packedFloats(field: number, values: readonly number[]): this {
    const bytes = new Uint8Array(new Float32Array(values).buffer);
    return this.bytes(field, bytes);
  }
}

export type AttributeValue = number | string | number[] | string[] | { float: number } | { floats: number[] } | TensorSpec;

/** A tensor: raw little-endian bytes inline, or a pointer into an external data file. */
export interface TensorSpec {
  name: string;
  dataType: OnnxDataType;
  dims: readonly number[];
  raw?: Uint8Array;
  external?: { location: string; offset: number; length: number };
}

function encodeTensor(tensor: TensorSpec): ProtoWriter {
  const w = new ProtoWriter();
  if (tensor.dims.length > 0) w.packedInts(1, tensor.dims);
  w.int(2, tensor.dataType);
  w.string(8, tensor.name);
  if (tensor.external) {
    const entry = (key: string, value: string) => new ProtoWriter().string(1, key).string(2, value);
    w.message(13, entry('location', tensor.external.location));
    w.message(13, entry('offset', String(tensor.external.offset)));
    w.message(13, entry('length', String(tensor.external.length)));
    w.int(14, 1);
  } else {
    w.bytes(9, tensor.raw ?? new Uint8Array(0));
  }
  return w;
}

function isTensorSpec(value: unknown): value is TensorSpec {
  return typeof value === 'object' && value !== null && 'dataType' in value && 'dims' in value;
}

/** Integers become INT/INTS (an empty list too), `{ float }` FLOAT, plain non-integer numbers FLOAT. */
function encodeAttribute(name: string, value: AttributeValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if (typeof value === 'number') {
    if (Number.isInteger(value)) w.int(3, value).int(20, AttributeType.INT);
    else w.float(2, value).int(20, AttributeType.FLOAT);
  } else if (typeof value === 'string') {
    w.string(4, value).int(20, AttributeType.STRING);
  } else if (Array.isArray(value)) {
    if (value.length > 0 && value.every((v) => typeof v === 'string')) {
      for (const v of value as string[]) w.string(9, v);
      w.int(20, AttributeType.STRINGS);
    } else {
      w.packedInts(8, value as number[]).int(20, AttributeType.INTS);
    }
  } else if (isTensorSpec(value)) {
    w.message(5, encodeTensor(value)).int(20, AttributeType.TENSOR);
  } else if ('floats' in value) {
    w.packedFloats(7, value.floats).int(20, AttributeType.FLOATS);
  } else {
    w.float(2, value.float).int(20, AttributeType.FLOAT);
  }
  return w;
}

export interface NodeSpec {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name: string;
  domain?: string;
  attributes?: Record<string, AttributeValue>;
}

function encodeNode(node: NodeSpec): ProtoWriter {
  const w = new ProtoWriter();
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  w.string(3, node.name).string(4, node.opType);
  for (const [key, value] of Object.entries(node.attributes ?? {})) w.message(5, encodeAttribute(key, value));
  if (node.domain) w.string(7, node.domain);
  return w;
}

/** A dimension: a fixed size or a symbolic name. */
export type Dim = number | string;

export interface ValueInfoSpec {
  name: string;
  elemType: OnnxDataType;
  shape: readonly Dim[];
}

function encodeValueInfo(info: ValueInfoSpec): ProtoWriter {
  const shape = new ProtoWriter();
  for (const dim of info.shape) {
    const d = new ProtoWriter();
    if (typeof dim === 'number') d.int(1, dim);
    else d.string(2, dim);
    shape.message(1, d);
  }
  const tensorType = new ProtoWriter().int(1, info.elemType).message(2, shape);
  const type = new ProtoWriter().message(1, tensorType);
  return new ProtoWriter().string(1, info.name).message(2, type);
}

export interface GraphSpec {
  name: string;
  nodes: readonly NodeSpec[];
  initializers: readonly TensorSpec[];
  inputs: readonly ValueInfoSpec[];
  outputs: readonly ValueInfoSpec[];
  docString?: string;
}

export interface ModelSpecProto {
  graph: GraphSpec;
  opsets: readonly { domain: string; version: number }[];
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  metadata?: Record<string, string>;
}

export function encodeModel(model: ModelSpecProto): ProtoChunks {
  const graph = new ProtoWriter();
  for (const node of model.graph.nodes) graph.message(1, encodeNode(node));
  graph.string(2, model.graph.name);
  for (const init of model.graph.initializers) graph.message(5, encodeTensor(init));
  if (model.graph.docString) graph.string(10, model.graph.docString);
  for (const input of model.graph.inputs) graph.message(11, encodeValueInfo(input));
  for (const output of model.graph.outputs) graph.message(12, encodeValueInfo(output));
  const w = new ProtoWriter();
  w.int(1, model.irVersion ?? 8);
  w.string(2, model.producerName ?? 'judgekit');
  w.string(3, model.producerVersion ?? '0.1.0');
  w.message(7, graph);
  for (const opset of model.opsets) w.message(8, new ProtoWriter().string(1, opset.domain).int(2, opset.version));
  for (const [key, value] of Object.entries(model.metadata ?? {})) w.message(14, new ProtoWriter().string(1, key).string(2, value));
  return w.out;
}

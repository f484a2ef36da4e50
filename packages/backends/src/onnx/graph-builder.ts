// The one ONNX graph builder: add inputs, initializers and nodes by name, then serialise to an in-memory model
// or to a file (with the weights in an external `.onnx_data` file (optimum's and transformers.js's name) when the model would pass protobuf's 2 GB limit).
// Every architecture's inference and training graphs and the AdamW graph are built on it, so keep it generic.
import { createWriteStream } from 'node:fs';
import { basename } from 'node:path';
import { once } from 'node:events';
import { JudgekitError } from '@judgekit/core';
import {
  encodeModel,
  OnnxDataType,
  type AttributeValue,
  type Dim,
  type NodeSpec,
  type ProtoChunks,
  type TensorSpec,
  type ValueInfoSpec,
} from './onnx-proto.js';

export { OnnxDataType, type Dim, type AttributeValue } from './onnx-proto.js';

/** Protobuf messages cannot exceed 2 GiB (2,147,483,647 bytes); the weights go external above this, which leaves room for the graph itself. */
export const INLINE_LIMIT_BYTES = 1_900_000_000;

export interface SerializeOptions {
  /** Put initializers in an external data file: 'auto' does so only above `inlineLimitBytes`. */
  externalData?: boolean | 'auto';
  /**
   * With `externalData: 'auto'`, initializer bytes above which the weights go external (default INLINE_LIMIT_BYTES,
   * just under protobuf's 2 GiB limit); a low value forces the external layout on a small model (tests).
   */
  inlineLimitBytes?: number;
  /** File name (relative to the model) for external data; default `<model file>_data` (`model.onnx_data`, the name optimum writes and transformers.js looks for). */
  externalDataName?: string;
  /** Float initializers smaller than this stay inline even with external data (default 1024 bytes); integer ones always do. */
  externalMinBytes?: number;
}

export interface SerializedModel {
  model: ProtoChunks;
  /** Present when weights went to an external file; write it as `externalDataName` beside the model. */
  externalData?: { name: string; chunks: Uint8Array[]; length: number };
}

function bytesOf(data: Float32Array | Int32Array | BigInt64Array | Uint8Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export class OnnxGraphBuilder {
  private readonly nodes: NodeSpec[] = [];
  private readonly initializers: TensorSpec[] = [];
  private readonly inputs: ValueInfoSpec[] = [];
  private readonly outputs: ValueInfoSpec[] = [];
  private readonly opsets = new Map<string, number>();
  private readonly usedNames = new Set<string>();
  private readonly metadata: Record<string, string> = {};
  /** Deduplicated constants (`int64`, `float`) by type, shape and values. */
  private readonly constants = new Map<string, string>();
  private counter = 0;

  constructor(
    readonly graphName: string,
    opsetVersion = 17,
  ) {
    this.opsets.set('', opsetVersion);
  }

  /** Declare a custom-domain opset, e.g. `com.microsoft` 1. */
  useOpset(domain: string, version: number): void {
    this.opsets.set(domain, version);
  }

  setMetadata(key: string, value: string): void {
    this.metadata[key] = value;
  }

  /** A fresh value name with a readable stem. */
  fresh(stem: string): string {
    let name = `${stem}_${this.counter++}`;
    while (this.usedNames.has(name)) name = `${stem}_${this.counter++}`;
    this.usedNames.add(name);
    return name;
  }

  private claim(name: string): string {
    if (this.usedNames.has(name)) throw new JudgekitError('internal', `ONNX value name "${name}" is used twice.`);
    this.usedNames.add(name);
    return name;
  }

  input(name: string, elemType: OnnxDataType, shape: readonly Dim[]): string {
    this.inputs.push({ name: this.claim(name), elemType, shape });
    return name;
  }

  /** Mark an existing value as a graph output (an Identity is inserted when the name differs). */
  output(value: string, name: string, elemType: OnnxDataType, shape: readonly Dim[]): string {
    if (value !== name) {
      this.claim(name);
      this.nodes.push({ opType: 'Identity', inputs: [value], outputs: [name], name: `${name}_identity` });
    }
    this.outputs.push({ name, elemType, shape });
    return name;
  }

  /** A float32 weight. */
  floatInitializer(name: string, dims: readonly number[], data: Float32Array): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== data.length) throw new JudgekitError('internal', `initializer ${name}: dims [${dims.join(', ')}] need ${count} values, got ${data.length}`);
    this.initializers.push({ name: this.claim(name), dataType: OnnxDataType.FLOAT, dims, raw: bytesOf(data) });
    return name;
  }

  int64Constant(values: readonly number[], stem = 'const', dims: readonly number[] = [values.length]): string {
    const name = this.fresh(stem);
    this.initializers.push({ name, dataType: OnnxDataType.INT64, dims, raw: bytesOf(BigInt64Array.from(values.map((v) => BigInt(v)))) });
    return name;
  }

  floatConstant(values: readonly number[], stem = 'const', dims: readonly number[] = []): string {
    const name = this.fresh(stem);
    this.initializers.push({ name, dataType: OnnxDataType.FLOAT, dims, raw: bytesOf(Float32Array.from(values)) });
    return name;
  }

  /** An int64 constant shared by every use of the same values (1-D unless `dims` says otherwise; `[]` for a scalar). */
  int64(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.sharedConstant(`i64:${dims.join('x')}:${values.join(',')}`, () => this.int64Constant(values, 'const', dims));
  }

  /** A float32 scalar constant shared by every use of the same value. */
  float(value: number): string {
    return this.sharedConstant(`f32:${Object.is(value, -0) ? '-0' : String(value)}`, () => this.floatConstant([value]));
  }

  private sharedConstant(key: string, make: () => string): string {
    let name = this.constants.get(key);
    if (!name) {
      name = make();
      this.constants.set(key, name);
    }
    return name;
  }

  /** Add a node; returns its output names (fresh ones unless given). */
  node(opType: string, inputs: readonly string[], options: { attributes?: Record<string, AttributeValue>; outputs?: number | readonly string[]; domain?: string; stem?: string } = {}): string[] {
    const outputs =
      typeof options.outputs === 'object'
        ? options.outputs.map((n) => this.claim(n))
        : Array.from({ length: options.outputs ?? 1 }, () => this.fresh(options.stem ?? opType.toLowerCase()));
    this.nodes.push({
      opType,
      inputs,
      outputs,
      name: this.fresh(`n_${opType}`),
      ...(options.domain ? { domain: options.domain } : {}),
      ...(options.attributes ? { attributes: options.attributes } : {}),
    });
    return outputs;
  }

  /** A single-output node. */
  op(opType: string, inputs: readonly string[], attributes?: Record<string, AttributeValue>, stem?: string): string {
    return this.node(opType, inputs, { ...(attributes ? { attributes } : {}), ...(stem ? { stem } : {}) })[0]!;
  }

  // Shorthands that let graphs read like the maths they implement (the trainer's forward and backward passes).
  add(a: string, b: string): string {
    return this.op('Add', [a, b]);
  }
  sub(a: string, b: string): string {
    return this.op('Sub', [a, b]);
  }
  mul(a: string, b: string): string {
    return this.op('Mul', [a, b]);
  }
  div(a: string, b: string): string {
    return this.op('Div', [a, b]);
  }
  matmul(a: string, b: string): string {
    return this.op('MatMul', [a, b]);
  }
  /** 2-D GEMM: op(a) x op(b) with optional transposes. */
  gemm(a: string, b: string, transA = 0, transB = 0): string {
    return this.op('Gemm', [a, b], { transA, transB });
  }
  reshape(x: string, shape: readonly number[]): string {
    return this.op('Reshape', [x, this.int64(shape)]);
  }
  transpose(x: string, perm: number[]): string {
    return this.op('Transpose', [x], { perm });
  }
  reduceSum(x: string, axes: readonly number[], keepdims = 0): string {
    return this.op('ReduceSum', [x, this.int64(axes)], { keepdims });
  }

  /** The op types of the nodes added so far, `domain.OpType` for a custom domain's (what a graph relies on). */
  opTypes(): string[] {
    return this.nodes.map((n) => (n.domain ? `${n.domain}.${n.opType}` : n.opType));
  }

  /** Total bytes of initializer data. */
  initializerBytes(): number {
    return this.initializers.reduce((sum, t) => sum + (t.raw?.byteLength ?? 0), 0);
  }

  serialize(options: SerializeOptions = {}): SerializedModel {
    const wantExternal = options.externalData === true || (options.externalData !== false && this.initializerBytes() > (options.inlineLimitBytes ?? INLINE_LIMIT_BYTES));
    let initializers: readonly TensorSpec[] = this.initializers;
    let externalData: SerializedModel['externalData'];
    if (wantExternal) {
      const name = options.externalDataName ?? `${this.graphName}.onnx_data`;
      const min = options.externalMinBytes ?? 1024;
      const chunks: Uint8Array[] = [];
      let offset = 0;
      initializers = this.initializers.map((t) => {
        const raw = t.raw ?? new Uint8Array(0);
        // Integer tensors stay inline: they are shapes and indices that shape inference must read at load time.
        if (raw.byteLength < min || t.dataType !== OnnxDataType.FLOAT) return t;
        // Page-align every tensor so the runtime may map it from the file instead of copying it.
        const pad = (4096 - (offset % 4096)) % 4096;
        if (pad) chunks.push(new Uint8Array(pad));
        offset += pad;
        chunks.push(raw);
        const spec: TensorSpec = { name: t.name, dataType: t.dataType, dims: t.dims, external: { location: name, offset, length: raw.byteLength } };
        offset += raw.byteLength;
        return spec;
      });
      externalData = { name, chunks, length: offset };
    }
    const model = encodeModel({
      graph: { name: this.graphName, nodes: this.nodes, initializers, inputs: this.inputs, outputs: this.outputs },
      opsets: [...this.opsets].map(([domain, version]) => ({ domain, version })),
      metadata: this.metadata,
    });
    return externalData ? { model, externalData } : { model };
  }

  /** Serialise to bytes; throws if the model is too large to hold inline. */
  toBytes(): Uint8Array {
    const serialized = this.serialize({ externalData: false });
    if (serialized.model.length > 2 ** 31 - 1) {
      throw new JudgekitError('model', `the ONNX model is ${serialized.model.length} bytes, over protobuf's 2 GB limit; write it to a file with external data instead.`);
    }
    return serialized.model.toBytes();
  }

  /** Write `path` (and `path_data` beside it when weights go external). Returns the files written. */
  async writeFile(path: string, options: SerializeOptions = {}): Promise<string[]> {
    const serialized = this.serialize({ ...options, externalDataName: options.externalDataName ?? `${basename(path)}_data` });
    await writeChunks(path, serialized.model.chunks);
    const written = [path];
    if (serialized.externalData) {
      const dataPath = `${path.slice(0, path.length - basename(path).length)}${serialized.externalData.name}`;
      await writeChunks(dataPath, serialized.externalData.chunks);
      written.push(dataPath);
    }
    return written;
  }
}

async function writeChunks(path: string, chunks: readonly Uint8Array[]): Promise<void> {
  const stream = createWriteStream(path);
  for (const chunk of chunks) {
    if (!stream.write(chunk)) await once(stream, 'drain');
  }
  stream.end();
  await once(stream, 'finish');
}

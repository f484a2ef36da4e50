// A small imperative builder over the ONNX writer: each op call returns its output names, constants are
// deduplicated initializers, so the trainer's forward/backward graphs read like the maths they implement.
import { encodeOnnxModel, type AttributeValue, type OnnxDataTypeName, type OnnxGraph, type OnnxInitializer, type OnnxNode, type OnnxValueInfo } from './onnx-model-writer.js';

export const TRAINING_OPSET = 17;

export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly inputs: OnnxValueInfo[] = [];
  readonly outputs: OnnxValueInfo[] = [];
  readonly initializers: OnnxInitializer[] = [];
  readonly #constants = new Map<string, string>();
  #counter = 0;

  constructor(readonly name: string) {}

  input(name: string, type: OnnxDataTypeName, shape: Array<number | string>): string {
    this.inputs.push({ name, type, shape });
    return name;
  }

  /** Declare `value` as graph output `name` (an Identity node when the names differ). */
  output(name: string, value: string, type: OnnxDataTypeName, shape: Array<number | string>): void {
    if (value !== name) this.nodes.push({ opType: 'Identity', inputs: [value], outputs: [name] });
    this.outputs.push({ name, type, shape });
  }

  fresh(hint: string): string {
    this.#counter += 1;
    return `${hint}__${this.#counter}`;
  }

  /** Add a node with `count` outputs and return their names. */
  opN(opType: string, inputs: string[], count: number, attributes?: Record<string, AttributeValue>, domain?: string): string[] {
    const outputs = Array.from({ length: count }, () => this.fresh(opType.toLowerCase()));
    this.nodes.push({ opType, inputs, outputs, ...(attributes ? { attributes } : {}), ...(domain ? { domain } : {}) });
    return outputs;
  }

  op(opType: string, inputs: string[], attributes?: Record<string, AttributeValue>, domain?: string): string {
    return this.opN(opType, inputs, 1, attributes, domain)[0] as string;
  }

  #constant(key: string, make: (name: string) => OnnxInitializer): string {
    let name = this.#constants.get(key);
    if (!name) {
      name = this.fresh('const');
      this.initializers.push(make(name));
      this.#constants.set(key, name);
    }
    return name;
  }

  /** An int64 tensor constant (1-D unless `dims` says otherwise; `dims: []` for a scalar). */
  int64(values: number[], dims: number[] = [values.length]): string {
    return this.#constant(`i64:${dims.join('x')}:${values.join(',')}`, (name) => {
      const data = new BigInt64Array(values.map((v) => BigInt(v)));
      return { name, type: 'int64', dims, data: new Uint8Array(data.buffer) };
    });
  }

  /** A float32 scalar constant (shape []). */
  float(value: number): string {
    return this.#constant(`f32:${Object.is(value, -0) ? '-0' : String(value)}`, (name) => {
      const data = new Float32Array([value]);
      return { name, type: 'float', dims: [], data: new Uint8Array(data.buffer) };
    });
  }

  // Shorthands for the ops the trainer uses most.
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
  reshape(x: string, shape: number[]): string {
    return this.op('Reshape', [x, this.int64(shape)]);
  }
  transpose(x: string, perm: number[]): string {
    return this.op('Transpose', [x], { perm });
  }
  reduceSum(x: string, axes: number[], keepdims = 0): string {
    return this.op('ReduceSum', [x, this.int64(axes)], { keepdims });
  }

  graph(opsets: Array<{ domain: string; version: number }> = [{ domain: '', version: TRAINING_OPSET }]): OnnxGraph {
    return { name: this.name, nodes: this.nodes, inputs: this.inputs, outputs: this.outputs, initializers: this.initializers, opsets };
  }

  encode(): Uint8Array {
    return encodeOnnxModel(this.graph());
  }
}

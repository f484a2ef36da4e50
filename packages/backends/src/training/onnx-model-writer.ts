// The trainer's description of an ONNX graph (nodes, small constant initializers, typed inputs/outputs with
// symbolic dimensions), encoded by the engine's protobuf writer (`onnx/onnx-proto.ts`). Parameters are graph
// inputs, never initializers, so models stay small.
import { encodeModel, type AttributeValue as ProtoAttribute, type OnnxDataType as ProtoDataType, type TensorSpec } from '../onnx/onnx-proto.js';

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

function tensorSpec(tensor: OnnxTensorValue, name: string): TensorSpec {
  return { name, dataType: OnnxDataType[tensor.type] as ProtoDataType, dims: tensor.dims, raw: tensor.data };
}

function protoAttribute(name: string, value: AttributeValue): ProtoAttribute {
  if (typeof value === 'bigint') {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) throw new RangeError(`attribute ${name}: ${value} is outside the safe integer range`);
    return Number(value);
  }
  if (typeof value === 'number' || typeof value === 'string' || Array.isArray(value)) return value;
  if ('ints' in value) return value.ints;
  if ('tensor' in value) return tensorSpec(value.tensor, '');
  return value;
}

/** Serialise a graph as an ONNX ModelProto (IR version 8). */
export function encodeOnnxModel(graph: OnnxGraph): Uint8Array {
  return encodeModel({
    graph: {
      name: graph.name,
      nodes: graph.nodes.map((node) => ({
        opType: node.opType,
        inputs: node.inputs,
        outputs: node.outputs,
        name: node.name ?? '',
        ...(node.domain ? { domain: node.domain } : {}),
        ...(node.attributes ? { attributes: Object.fromEntries(Object.entries(node.attributes).map(([key, value]) => [key, protoAttribute(key, value)])) } : {}),
      })),
      initializers: graph.initializers.map((init) => tensorSpec(init, init.name)),
      inputs: graph.inputs.map((info) => ({ name: info.name, elemType: OnnxDataType[info.type] as ProtoDataType, shape: info.shape })),
      outputs: graph.outputs.map((info) => ({ name: info.name, elemType: OnnxDataType[info.type] as ProtoDataType, shape: info.shape })),
    },
    opsets: graph.opsets,
    producerName: 'judgekit-training',
  }).toBytes();
}

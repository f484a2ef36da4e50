// What the GPT-2 training graph keeps alive between its forward and backward passes, and the order ONNX Runtime
// runs it in (read from ORT's own profile of a training step): the schedule decides the peak memory of fine-tuning
// (see the comments in gpt2-train-graph.ts), so these are asserted on the graph and on ORT's execution, not assumed.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildGpt2TrainGraph } from './gpt2-train-graph.js';
import { parameterSpecs, randomGpt2Parameters, type Gpt2Shape } from './gpt2-parameters.js';
import type { OnnxGraphBuilder } from '../../onnx/graph-builder.js';

const SHAPE: Gpt2Shape = { vocabSize: 96, contextLength: 16, embDim: 16, nLayers: 3, nHeads: 2, qkvBias: true, tiedHead: true };

interface BuiltNode {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name: string;
}

/** The builder's nodes in the order they were added (the order ONNX Runtime numbers them in). */
function nodesOf(graph: OnnxGraphBuilder): BuiltNode[] {
  return (graph as unknown as { nodes: BuiltNode[] }).nodes;
}

/** Index of the one node that matches; fails the test when there is not exactly one. */
function onlyIndex(nodes: readonly BuiltNode[], what: string, match: (node: BuiltNode, index: number) => boolean): number {
  const found = nodes.flatMap((node, index) => (match(node, index) ? [index] : []));
  expect(found, what).toHaveLength(1);
  return found[0] as number;
}

/** Node names in the order ONNX Runtime ran them in one training step (from its profile). */
async function executionOrder(graph: OnnxGraphBuilder, shape: Gpt2Shape): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'judgekit-train-schedule-'));
  try {
    const session = await ort.InferenceSession.create(graph.toBytes(), {
      executionProviders: ['cpu'],
      enableCpuMemArena: false,
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      enableProfiling: true,
      profileFilePrefix: join(dir, 'train'),
    });
    const params = randomGpt2Parameters(shape, 3);
    const feeds: Record<string, ort.Tensor> = {};
    for (const spec of parameterSpecs(shape)) feeds[spec.name] = new ort.Tensor('float32', params.get(spec.name) as Float32Array, spec.shape);
    const [batch, seq] = [2, 8];
    feeds.input_ids = new ort.Tensor('int64', BigInt64Array.from({ length: batch * seq }, (_, i) => BigInt((i * 7 + 1) % shape.vocabSize)), [batch, seq]);
    feeds.targets = new ort.Tensor('int64', BigInt64Array.from({ length: batch * seq }, (_, i) => BigInt(i % 5 === 4 ? -100 : (i * 11 + 2) % shape.vocabSize)), [batch, seq]);
    await session.run(feeds);
    session.endProfiling();
    await session.release();
    const file = (await readdir(dir)).find((name) => name.startsWith('train') && name.endsWith('.json'));
    expect(file, `an ORT profile in ${dir}`).toBeDefined();
    const events = JSON.parse(await readFile(join(dir, file as string), 'utf8')) as Array<{ cat?: string; name: string; ts: number }>;
    return events
      .filter((event) => event.cat === 'Node' && event.name.endsWith('_kernel_time'))
      .sort((a, b) => a.ts - b.ts)
      .map((event) => event.name.slice(0, -'_kernel_time'.length));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('GPT-2 training graph: what the backward pass keeps and when ONNX Runtime frees it', () => {
  it('reads no forward Tanh or GELU output in the backward pass, so of the MLP only the c_fc output is kept for it', () => {
    const nodes = nodesOf(buildGpt2TrainGraph(SHAPE, { backward: true }));
    const backwardStart = onlyIndex(nodes, 'the LogSoftmax of the loss', (node) => node.opType === 'LogSoftmax');
    const consumers = (value: string): number[] => nodes.flatMap((node, index) => (node.inputs.includes(value) ? [index] : []));
    for (let layer = 0; layer < SHAPE.nLayers; layer++) {
      const cProj = onlyIndex(nodes, `forward c_proj Gemm of layer ${layer}`, (node, index) => index < backwardStart && node.inputs.includes(`h.${layer}.mlp.c_proj.weight`));
      const gelu = nodes[cProj]!.inputs[0] as string;
      const geluNode = nodes.find((node) => node.outputs.includes(gelu)) as BuiltNode;
      const forwardTanhs = nodes.filter((node, index) => node.opType === 'Tanh' && index < backwardStart);
      expect(forwardTanhs).toHaveLength(SHAPE.nLayers);
      const tanh = forwardTanhs[layer]!.outputs[0] as string;
      expect(geluNode.opType).toBe('Mul');
      expect(consumers(gelu).filter((index) => index > backwardStart), `backward readers of layer ${layer}'s GELU`).toEqual([]);
      expect(consumers(tanh).filter((index) => index > backwardStart), `backward readers of layer ${layer}'s tanh`).toEqual([]);
      // The c_fc output (the GELU's input) is what the backward pass recomputes them from.
      const cFc = onlyIndex(nodes, `forward c_fc Gemm of layer ${layer}`, (node, index) => index < backwardStart && node.inputs.includes(`h.${layer}.mlp.c_fc.weight`));
      expect(consumers(nodes[cFc]!.outputs[0] as string).some((index) => index > backwardStart)).toBe(true);
    }
  });

  it('runs the loss gather before the softmax gradient and each layer\'s weight gradients before the layer below is differentiated', async () => {
    const graph = buildGpt2TrainGraph(SHAPE, { backward: true });
    const nodes = nodesOf(graph);
    const order = await executionOrder(graph, SHAPE);
    const position = (name: string): number => {
      const at = order.indexOf(name);
      expect(at, `${name} in ORT's execution order`).toBeGreaterThanOrEqual(0);
      return at;
    };
    const producerOf = (value: string): string => (nodes.find((node) => node.outputs.includes(value)) as BuiltNode).name;
    const gradientNode = (parameter: string): string => producerOf((nodes.find((node) => node.outputs.includes(`grad.${parameter}`)) as BuiltNode).inputs[0] as string);
    const backwardStart = nodes.findIndex((node) => node.opType === 'LogSoftmax');

    // The log-probabilities' two readers: the loss's gather must come first, so the Exp of the softmax gradient is
    // their last reader and they are freed there (not held through the whole backward pass).
    const gather = nodes.find((node) => node.opType === 'GatherElements') as BuiltNode;
    const exp = nodes.find((node) => node.opType === 'Exp') as BuiltNode;
    expect(position(gather.name)).toBeLessThan(position(exp.name));
    // The head's gradient (which reads the [N, V] softmax gradient) runs before the first layer's backward matmuls.
    const topBackward = nodes.findIndex((node, index) => index > backwardStart && node.inputs.includes(`h.${SHAPE.nLayers - 1}.mlp.c_proj.weight`));
    expect(position(gradientNode('wte.weight'))).toBeLessThan(position(nodes[topBackward]!.name));

    for (let layer = SHAPE.nLayers - 1; layer >= 1; layer--) {
      // The backward Gemm through the layer below's c_proj (its dGelu): nothing of that layer is differentiated before it.
      const below = nodes.find((node, index) => index > backwardStart && node.opType === 'Gemm' && node.inputs.includes(`h.${layer - 1}.mlp.c_proj.weight`)) as BuiltNode;
      for (const parameter of ['mlp.c_proj.weight', 'mlp.c_fc.weight', 'attn.c_proj.weight', 'attn.c_attn.weight']) {
        expect(position(gradientNode(`h.${layer}.${parameter}`)), `grad of h.${layer}.${parameter} before layer ${layer - 1}'s backward`).toBeLessThan(position(below.name));
      }
    }
  });
});

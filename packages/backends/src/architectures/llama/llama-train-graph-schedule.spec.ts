// What the Llama training graph keeps alive between its forward and backward passes, and the order ONNX Runtime
// runs it in (read from ORT's own profile of a training step): the schedule decides the peak memory of fine-tuning
// (see the comments in llama-train-graph.ts and gpt2-train-graph.ts), so these are asserted on the graph and on ORT's
// execution, not assumed.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildLlamaTrainGraph } from './llama-train-graph.js';
import { completeLlamaConfig, type LlamaConfig } from './llama-config.js';
import { llamaParameterSpecs, randomLlamaParameters } from './llama-parameters.js';
import type { OnnxGraphBuilder } from '../../onnx/graph-builder.js';

const CONFIG: LlamaConfig = completeLlamaConfig({ naming: 'hf', vocabSize: 96, contextLength: 16, embDim: 16, nLayers: 3, nHeads: 4, nKvHeads: 2, intermediateSize: 24, rmsNormEps: 1e-5, ropeTheta: 500 });

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
async function executionOrder(graph: OnnxGraphBuilder, config: LlamaConfig): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'judgekit-llama-train-schedule-'));
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
    const params = randomLlamaParameters(config, 3);
    const feeds: Record<string, ort.Tensor> = {};
    for (const spec of llamaParameterSpecs(config)) feeds[spec.name] = new ort.Tensor('float32', params.get(spec.name) as Float32Array, spec.shape);
    const [batch, seq] = [2, 8];
    feeds.input_ids = new ort.Tensor('int64', BigInt64Array.from({ length: batch * seq }, (_, i) => BigInt((i * 7 + 1) % config.vocabSize)), [batch, seq]);
    feeds.targets = new ort.Tensor('int64', BigInt64Array.from({ length: batch * seq }, (_, i) => BigInt(i % 5 === 4 ? -100 : (i * 11 + 2) % config.vocabSize)), [batch, seq]);
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

describe('Llama training graph: what the backward pass keeps and when ONNX Runtime frees it', () => {
  it('reads no forward SiLU or SwiGLU product in the backward pass, so of the MLP only the gate, its sigmoid and up are kept for it', () => {
    const nodes = nodesOf(buildLlamaTrainGraph(CONFIG, { backward: true }));
    const backwardStart = onlyIndex(nodes, 'the LogSoftmax of the loss', (node) => node.opType === 'LogSoftmax');
    const consumers = (value: string): number[] => nodes.flatMap((node, index) => (node.inputs.includes(value) ? [index] : []));
    const producer = (value: string): BuiltNode => nodes.find((node) => node.outputs.includes(value)) as BuiltNode;
    for (let layer = 0; layer < CONFIG.nLayers; layer++) {
      const p = `layers.${layer}.mlp.`;
      const down = onlyIndex(nodes, `forward down_proj Gemm of layer ${layer}`, (node, index) => index < backwardStart && node.inputs.includes(`${p}down_proj.weight`));
      const act = nodes[down]!.inputs[0] as string;
      const actNode = producer(act);
      expect(actNode.opType).toBe('Mul');
      const silu = actNode.inputs.find((input) => producer(input)?.opType === 'Mul') as string;
      expect(silu, `layer ${layer}'s SiLU feeding its SwiGLU product`).toBeDefined();
      expect(consumers(act).filter((index) => index > backwardStart), `backward readers of layer ${layer}'s SwiGLU product`).toEqual([]);
      expect(consumers(silu).filter((index) => index > backwardStart), `backward readers of layer ${layer}'s SiLU`).toEqual([]);
      // The gate projection and its sigmoid are what the backward pass recomputes them from.
      const gate = onlyIndex(nodes, `forward gate_proj Gemm of layer ${layer}`, (node, index) => index < backwardStart && node.inputs.includes(`${p}gate_proj.weight`));
      expect(consumers(nodes[gate]!.outputs[0] as string).some((index) => index > backwardStart)).toBe(true);
    }
  });

  it("runs the loss gather before the softmax gradient and each layer's weight gradients before the layer below is differentiated", async () => {
    const graph = buildLlamaTrainGraph(CONFIG, { backward: true });
    const nodes = nodesOf(graph);
    const order = await executionOrder(graph, CONFIG);
    const position = (name: string): number => {
      const at = order.indexOf(name);
      expect(at, `${name} in ORT's execution order`).toBeGreaterThanOrEqual(0);
      return at;
    };
    const producerOf = (value: string): string => (nodes.find((node) => node.outputs.includes(value)) as BuiltNode).name;
    // The node that computes a gradient output (the builder names it through an Identity).
    const gradientNode = (parameter: string): string => producerOf((nodes.find((node) => node.outputs.includes(`grad.${parameter}`)) as BuiltNode).inputs[0] as string);
    const backwardStart = nodes.findIndex((node) => node.opType === 'LogSoftmax');

    const gather = nodes.find((node) => node.opType === 'GatherElements') as BuiltNode;
    const exp = nodes.find((node) => node.opType === 'Exp') as BuiltNode;
    expect(position(gather.name)).toBeLessThan(position(exp.name));
    const topBackward = nodes.findIndex((node, index) => index > backwardStart && node.inputs.includes(`layers.${CONFIG.nLayers - 1}.mlp.down_proj.weight`));
    expect(position(gradientNode(CONFIG.tiedHead ? 'embed_tokens.weight' : 'lm_head.weight'))).toBeLessThan(position(nodes[topBackward]!.name));

    for (let layer = CONFIG.nLayers - 1; layer >= 1; layer--) {
      // The backward Gemm through the layer below's down_proj (its dAct): nothing of that layer is differentiated before it.
      const below = nodes.find((node, index) => index > backwardStart && node.opType === 'Gemm' && node.inputs.includes(`layers.${layer - 1}.mlp.down_proj.weight`)) as BuiltNode;
      for (const parameter of ['mlp.down_proj.weight', 'mlp.gate_proj.weight', 'mlp.up_proj.weight', 'self_attn.o_proj.weight', 'self_attn.q_proj.weight', 'self_attn.k_proj.weight', 'self_attn.v_proj.weight', 'input_layernorm.weight']) {
        expect(position(gradientNode(`layers.${layer}.${parameter}`)), `grad of layers.${layer}.${parameter} before layer ${layer - 1}'s backward`).toBeLessThan(position(below.name));
      }
    }
  });
});

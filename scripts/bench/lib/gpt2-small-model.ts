// The benchmark model: GPT-2 small's shape (768 dim, 12 layers, 12 heads, vocab 50257, context 1024, tied head,
// 124M parameters), or medium's (1024 dim, 24 layers, 16 heads, 355M), large's (1280 dim, 36 layers, 20 heads, 774M)
// or XL's (1600 dim, 48 layers, 25 heads, 1.56B), with seeded random weights, written once under .bench/
// (git-ignored): a safetensors checkpoint with config.json for judgekit, and a transformers.js model folder
// (config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx = judgekit's full-logits decoder graph, its
// weights in onnx/model.onnx_data from large on, past protobuf's 2 GiB) for the peer. Small and medium come from
// createTinyGpt2 (normal(0, 0.02) matrices); large and XL from the big bench's streaming writer (one tensor in memory
// at a time; matrices uniform with standard deviation 1/sqrt(fan-in)). The transformers.js folder is written by a
// process of its own (the `write-gpt2-peer-folder` case), so the bench process never holds the weights.
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createTinyGpt2 } from '../../../packages/backends/src/architectures/gpt2/create-tiny-gpt2.ts';
import { loadGpt2Checkpoint } from '../../../packages/backends/src/architectures/gpt2/load-gpt2-checkpoint.ts';
import { buildGpt2DecoderGraph } from '../../../packages/backends/src/architectures/gpt2/gpt2-graph.ts';
import { GPT2_SHAPES, tensorSpecs, writeCheckpoint, type Gpt2Shape } from '../big.ts';
import { runCase } from './bench-child.ts';
import { buildGpt2TokenizerJson, gpt2StyleTokenizerConfig } from './gpt2-tokenizer-json.ts';

export const BENCH_ROOT = resolve('.bench');
/** One of OpenAI's GPT-2 sizes (big.ts's table) as createTinyGpt2's options: QKV bias and a tied head, as OpenAI's. */
function benchShape(s: Gpt2Shape) {
  return { vocabSize: s.vocab, contextLength: s.context, embDim: s.emb, nLayers: s.layers, nHeads: s.heads, qkvBias: true, tiedHead: true } as const;
}
export const GPT2_SMALL = benchShape(GPT2_SHAPES['124m']);
/** The GPT-2 shapes the throughput benches build: each one's dimensions, folder/model id, caption label and seed. */
export const GPT2_BENCH_SIZES = {
  '124m': { shape: GPT2_SMALL, id: 'gpt2-small-random', label: 'GPT-2 small', seed: 124 },
  medium: { shape: benchShape(GPT2_SHAPES.medium), id: 'gpt2-medium-random', label: 'GPT-2 medium', seed: 355 },
  large: { shape: benchShape(GPT2_SHAPES.large), id: 'gpt2-large-random', label: 'GPT-2 large', seed: 774 },
  xl: { shape: benchShape(GPT2_SHAPES.xl), id: 'gpt2-xl-random', label: 'GPT-2 XL', seed: 1558 },
} as const;
export type Gpt2BenchSize = keyof typeof GPT2_BENCH_SIZES;

export interface BenchModel {
  checkpointPath: string;
  /** transformers.js `localModelPath` and model id. */
  transformersRoot: string;
  transformersId: string;
  parameters: number;
  /** The peer's onnx/model.onnx keeps its weights in onnx/model.onnx_data (load with use_external_data_format). */
  externalData?: boolean;
}

export function gpt2Parameters(c: { vocabSize: number; contextLength: number; embDim: number; nLayers: number; tiedHead: boolean }): number {
  const C = c.embDim;
  const perLayer = 12 * C * C + 13 * C; // qkv, proj, fc, fc-proj weights and biases, two LayerNorms
  return c.vocabSize * C + c.contextLength * C + c.nLayers * perLayer + 2 * C + (c.tiedHead ? 0 : c.vocabSize * C);
}

/** Sizes whose F32 weights pass protobuf's 2 GiB: written by the streaming writer, their ONNX weights external. */
const STREAMED: readonly Gpt2BenchSize[] = ['large', 'xl'];

export async function ensureGpt2SmallModel(log: (line: string) => void = () => {}, size: Gpt2BenchSize = '124m'): Promise<BenchModel> {
  const { shape, id: transformersId, label, seed } = GPT2_BENCH_SIZES[size];
  const dir = join(BENCH_ROOT, transformersId);
  const checkpointPath = join(dir, 'model.safetensors');
  const transformersRoot = join(BENCH_ROOT, 'transformers');
  const hfDir = join(transformersRoot, transformersId);
  const externalData = STREAMED.includes(size);
  if (!existsSync(checkpointPath)) {
    log(`building the ${label}-shaped model with seeded random weights (once) ...`);
    await mkdir(dir, { recursive: true });
    if (externalData) {
      // Written under another name and renamed when whole, so an interrupted build is never taken for a finished one.
      const partial = `${checkpointPath}.partial`;
      await writeCheckpoint(partial, tensorSpecs(shape.nLayers, GPT2_SHAPES[size]), seed);
      await writeFile(join(dir, 'config.json'), JSON.stringify(hfConfig(shape), null, 2));
      await rename(partial, checkpointPath);
    } else {
      await createTinyGpt2({ ...shape, seed, naming: 'hf', dir, name: 'model', scale: 0.02 });
    }
  }
  if (!existsSync(join(hfDir, 'tokenizer_config.json'))) {
    log('writing the transformers.js model folder (once) ...');
    await runCase('write-gpt2-peer-folder', { checkpointPath, hfDir, size }, log);
  }
  return { checkpointPath, transformersRoot, transformersId, parameters: gpt2Parameters(shape), ...(externalData ? { externalData: true } : {}) };
}

function hfConfig(shape: Gpt2BenchShape) {
  return {
    model_type: 'gpt2',
    architectures: ['GPT2LMHeadModel'],
    vocab_size: shape.vocabSize,
    n_positions: shape.contextLength,
    n_ctx: shape.contextLength,
    n_embd: shape.embDim,
    n_layer: shape.nLayers,
    n_head: shape.nHeads,
    bos_token_id: 50256,
    eos_token_id: 50256,
    tie_word_embeddings: true,
    use_cache: true,
    layer_norm_epsilon: 1e-5,
    activation_function: 'gelu_new',
  };
}
type Gpt2BenchShape = (typeof GPT2_BENCH_SIZES)[Gpt2BenchSize]['shape'];

/**
 * The peer's folder for `size` (the `write-gpt2-peer-folder` case, in a process of its own): judgekit's full-logits
 * decoder graph as onnx/model.onnx (weights in model.onnx_data for the sizes past 2 GiB, the name transformers.js
 * loads with `use_external_data_format`), config and tokenizer files. tokenizer_config.json comes last: it marks the
 * folder complete.
 */
export async function writeGpt2PeerFolder(checkpointPath: string, hfDir: string, size: Gpt2BenchSize): Promise<void> {
  const { shape } = GPT2_BENCH_SIZES[size];
  await mkdir(join(hfDir, 'onnx'), { recursive: true });
  const loaded = await loadGpt2Checkpoint(checkpointPath);
  await buildGpt2DecoderGraph(loaded).writeFile(join(hfDir, 'onnx', 'model.onnx'), { externalData: STREAMED.includes(size) });
  await writeFile(join(hfDir, 'config.json'), JSON.stringify(hfConfig(shape), null, 2));
  await writeFile(join(hfDir, 'generation_config.json'), JSON.stringify({ bos_token_id: 50256, eos_token_id: 50256 }, null, 2));
  await writeFile(join(hfDir, 'tokenizer.json'), JSON.stringify(buildGpt2TokenizerJson()));
  await writeFile(join(hfDir, 'tokenizer_config.json'), JSON.stringify(gpt2StyleTokenizerConfig(shape.contextLength), null, 2));
}

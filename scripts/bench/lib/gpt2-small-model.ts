// The benchmark model: GPT-2 small's shape (768 dim, 12 layers, 12 heads, vocab 50257, context 1024, tied head,
// 124M parameters), or medium's (1024 dim, 24 layers, 16 heads, 355M), with seeded random weights, written once
// under .bench/ (git-ignored): a safetensors checkpoint
// with config.json for judgekit, and a transformers.js model folder (config.json, tokenizer.json,
// tokenizer_config.json, onnx/model.onnx = judgekit's full-logits decoder graph) for the peer.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createTinyGpt2 } from '../../../packages/backends/src/architectures/gpt2/create-tiny-gpt2.ts';
import { loadGpt2Checkpoint } from '../../../packages/backends/src/architectures/gpt2/load-gpt2-checkpoint.ts';
import { buildGpt2DecoderGraph } from '../../../packages/backends/src/architectures/gpt2/gpt2-graph.ts';
import { buildGpt2TokenizerJson } from './gpt2-tokenizer-json.ts';

export const BENCH_ROOT = resolve('.bench');
export const GPT2_SMALL = { vocabSize: 50257, contextLength: 1024, embDim: 768, nLayers: 12, nHeads: 12, qkvBias: true, tiedHead: true } as const;
export const GPT2_MEDIUM = { ...GPT2_SMALL, embDim: 1024, nLayers: 24, nHeads: 16 } as const;
/** The GPT-2 shapes the throughput benches build: each one's dimensions, folder/model id and caption label. */
export const GPT2_BENCH_SIZES = {
  '124m': { shape: GPT2_SMALL, id: 'gpt2-small-random', label: 'GPT-2 small' },
  medium: { shape: GPT2_MEDIUM, id: 'gpt2-medium-random', label: 'GPT-2 medium' },
} as const;
export type Gpt2BenchSize = keyof typeof GPT2_BENCH_SIZES;

export interface BenchModel {
  checkpointPath: string;
  /** transformers.js `localModelPath` and model id. */
  transformersRoot: string;
  transformersId: string;
  parameters: number;
}

export function gpt2Parameters(c: { vocabSize: number; contextLength: number; embDim: number; nLayers: number; tiedHead: boolean }): number {
  const C = c.embDim;
  const perLayer = 12 * C * C + 13 * C; // qkv, proj, fc, fc-proj weights and biases, two LayerNorms
  return c.vocabSize * C + c.contextLength * C + c.nLayers * perLayer + 2 * C + (c.tiedHead ? 0 : c.vocabSize * C);
}

export async function ensureGpt2SmallModel(log: (line: string) => void = () => {}, size: Gpt2BenchSize = '124m'): Promise<BenchModel> {
  const { shape, id: transformersId, label } = GPT2_BENCH_SIZES[size];
  const dir = join(BENCH_ROOT, transformersId);
  const checkpointPath = join(dir, 'model.safetensors');
  const transformersRoot = join(BENCH_ROOT, 'transformers');
  const hfDir = join(transformersRoot, transformersId);
  if (!existsSync(checkpointPath)) {
    log(`building the ${label}-shaped model with seeded random weights (once) ...`);
    await mkdir(dir, { recursive: true });
    await createTinyGpt2({ ...shape, seed: size === '124m' ? 124 : 355, naming: 'hf', dir, name: 'model', scale: 0.02 });
  }
  if (!existsSync(join(hfDir, 'onnx', 'model.onnx'))) {
    log('writing the transformers.js model folder (once) ...');
    await mkdir(join(hfDir, 'onnx'), { recursive: true });
    const loaded = await loadGpt2Checkpoint(checkpointPath);
    await buildGpt2DecoderGraph(loaded).writeFile(join(hfDir, 'onnx', 'model.onnx'), { externalData: false });
    const config = {
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
    await writeFile(join(hfDir, 'config.json'), JSON.stringify(config, null, 2));
    await writeFile(join(hfDir, 'generation_config.json'), JSON.stringify({ bos_token_id: 50256, eos_token_id: 50256 }, null, 2));
    await writeFile(join(hfDir, 'tokenizer.json'), JSON.stringify(buildGpt2TokenizerJson()));
    await writeFile(
      join(hfDir, 'tokenizer_config.json'),
      JSON.stringify(
        {
          tokenizer_class: 'GPT2Tokenizer',
          model_max_length: 1024,
          bos_token: '<|endoftext|>',
          eos_token: '<|endoftext|>',
          unk_token: '<|endoftext|>',
          add_prefix_space: false,
          add_bos_token: false,
          clean_up_tokenization_spaces: false,
        },
        null,
        2,
      ),
    );
  }
  return { checkpointPath, transformersRoot, transformersId, parameters: gpt2Parameters(shape) };
}

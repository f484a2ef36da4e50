// The model a throughput benchmark runs, by `--model` (bench-model-option.ts): GPT-2 small's shape under .bench/
// (gpt2-small-model.ts), or a Llama shape of about 135M parameters (SmolLM-135M's) with seeded random weights,
// written once per bench process to a temp dir and deleted when the process exits: a Hugging Face checkpoint folder
// (config.json, model.safetensors in LlamaForCausalLM naming, tokenizer.json) for judgekit, and a transformers.js
// model folder (config.json with model_type llama, the same tokenizer.json, onnx/model.onnx = judgekit's full-logits
// Llama decoder graph with optimum's names and KV cache) that transformers.js runs as its own LlamaForCausalLM.
//
// The tokenizer: a byte-level BPE of exactly 49,152 entries, as SmolLM's: `<|endoftext|>` at id 0 (its BOS and EOS
// id), then GPT-2's first 49,151 BPE tokens (ids shifted by one) with the merges that make them. GPT-2's merges come
// in rank order and each merge's parts rank below it, so cutting the list at a rank leaves a valid BPE that encodes
// any text (SmolLM's own vocabulary is not available offline; this one tokenizes English text about as finely).
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCase } from './bench-child.ts';
import { fmt } from './bench-doc.ts';
import { gpt2ForwardFlops } from './flops.ts';
import { type BenchModelName, SMOLLM_135M_SHAPE } from './bench-model-option.ts';
import { buildGpt2TokenizerJson, gpt2StyleTokenizerConfig } from './gpt2-tokenizer-json.ts';
import { ensureGpt2SmallModel, GPT2_BENCH_SIZES, type BenchModel } from './gpt2-small-model.ts';

export interface ChosenBenchModel extends BenchModel {
  name: BenchModelName;
  family: 'gpt2' | 'llama';
  vocab: number;
  embDim: number;
  /** Width of one attention head. */
  headDim: number;
  /** Bytes the KV cache holds per token of one row: keys and values of every layer, float32. */
  kvBytesPerToken: number;
  /** Ends documents and stops generation. */
  endOfText: number;
  /** For captions: the shape, parameter count and where the weights come from. */
  description: string;
  /** FLOPs of one forward pass over batch x seq tokens, as the graphs compute them. */
  forwardFlops(batch: number, seq: number): number;
  /** The FLOP count's formula, for captions. */
  flopsFormula: string;
  /** Token ids of texts with the model's own tokenizer (prompts). */
  encode(texts: string[]): Promise<number[][]>;
  /** The transformers.js class that runs the peer. */
  peerClass: string;
}

/**
 * FLOPs of one Llama forward pass over batch x seq tokens: 2 x (q, k, v, o and the three SwiGLU matrices) per token,
 * 2 V C for the head, and 4 x L x seq x H x D for QK^T and PV over the full seq x seq square (grouped-query attention
 * shares keys, not the products).
 */
export function llamaForwardFlops(c: { vocabSize: number; embDim: number; nLayers: number; nHeads: number; nKvHeads: number; headDim: number; intermediateSize: number }, batch: number, seq: number): number {
  const { embDim: C, nHeads: H, nKvHeads: KV, headDim: D, intermediateSize: I, nLayers: L, vocabSize: V } = c;
  const perLayer = C * H * D + 2 * C * KV * D + H * D * C + 3 * C * I;
  return batch * seq * (2 * L * perLayer + 2 * V * C + 4 * L * seq * H * D);
}

/** tokenizer.json of 49,152 entries: `<|endoftext|>` at 0, GPT-2's BPE tokens 0..49,150 at 1..49,151 (see above). */
export function smollmStyleTokenizerJson(vocabSize: number = SMOLLM_135M_SHAPE.vocabSize): Record<string, unknown> {
  const gpt2 = buildGpt2TokenizerJson() as { model: { vocab: Record<string, number>; merges: string[] } } & Record<string, unknown>;
  const keep = vocabSize - 1;
  const special = '<|endoftext|>';
  const vocab: Record<string, number> = { [special]: 0 };
  for (const [piece, id] of Object.entries(gpt2.model.vocab)) if (piece !== special && id < keep) vocab[piece] = id + 1;
  const merges = gpt2.model.merges.filter((merge) => {
    const [left, right] = merge.split(' ') as [string, string];
    return vocab[left + right] !== undefined;
  });
  return {
    ...gpt2,
    added_tokens: [{ id: 0, content: special, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    model: { ...gpt2.model, vocab, merges },
  };
}

let llama: Promise<ChosenBenchModel> | undefined;

const SMOLLM_CONFIG = Object.freeze({ ...SMOLLM_135M_SHAPE, bosTokenId: 0, eosTokenId: 0 });
const SMOLLM_ID = 'smollm-135m-random';

/**
 * Write the Llama shape's checkpoint folder (`dir`/smollm-135m-random) and transformers.js folder (`dir`/transformers).
 * Run in a process of its own (the `write-smollm-135m` bench case), so the bench process stays small. Returns the
 * parameter count.
 */
export async function writeSmollmShape(dir: string): Promise<{ parameters: number }> {
  const { randomLlamaParameters } = await import('../../../packages/backends/src/architectures/llama/llama-parameters.ts');
  const { llamaCheckpointTensors } = await import('../../../packages/backends/src/architectures/llama/llama-checkpoint-tensors.ts');
  const { llamaConfigToJson } = await import('../../../packages/backends/src/architectures/llama/llama-config.ts');
  const { loadLlamaCheckpoint } = await import('../../../packages/backends/src/architectures/llama/load-llama-checkpoint.ts');
  const { buildLlamaGraph } = await import('../../../packages/backends/src/architectures/llama/llama-graph.ts');
  const { writeSafetensors } = await import('@judgekit/core');
  const config = { ...SMOLLM_CONFIG };
  const checkpointDir = join(dir, SMOLLM_ID);
  await mkdir(checkpointDir, { recursive: true });
  const checkpointPath = join(checkpointDir, 'model.safetensors');
  {
    // Normal(0, 0.02) matrices and embedding, RMSNorm weights 1: the GPT-2 bench model's spread.
    const parameters = randomLlamaParameters(config, 135, { std: 0.02 });
    const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
    for (const [name, tensor] of llamaCheckpointTensors(config, parameters, { naming: 'hf', prefix: 'model.', sourceNames: [] })) {
      tensors[name] = { dtype: 'F32', shape: tensor.shape, data: tensor.data };
    }
    await writeSafetensors(checkpointPath, tensors, { format: 'pt' });
  }
  const configJson = llamaConfigToJson(config);
  const tokenizerJson = JSON.stringify(smollmStyleTokenizerJson(config.vocabSize));
  const tokenizerConfig = JSON.stringify(gpt2StyleTokenizerConfig(config.contextLength));
  await writeFile(join(checkpointDir, 'config.json'), JSON.stringify(configJson, null, 2));
  await writeFile(join(checkpointDir, 'tokenizer.json'), tokenizerJson);
  await writeFile(join(checkpointDir, 'tokenizer_config.json'), tokenizerConfig);

  const hfDir = join(dir, 'transformers', SMOLLM_ID);
  await mkdir(join(hfDir, 'onnx'), { recursive: true });
  const loaded = await loadLlamaCheckpoint(checkpointPath);
  await buildLlamaGraph(loaded, 'decoder').writeFile(join(hfDir, 'onnx', 'model.onnx'), { externalData: false });
  await writeFile(join(hfDir, 'config.json'), JSON.stringify({ ...configJson, use_cache: true, torch_dtype: 'float32' }, null, 2));
  await writeFile(join(hfDir, 'generation_config.json'), JSON.stringify({ bos_token_id: 0, eos_token_id: 0 }, null, 2));
  await writeFile(join(hfDir, 'tokenizer.json'), tokenizerJson);
  await writeFile(join(hfDir, 'tokenizer_config.json'), tokenizerConfig);
  return { parameters: [...loaded.parameters.values()].reduce((n, p) => n + p.length, 0) };
}

async function buildSmollmShape(log: (line: string) => void): Promise<ChosenBenchModel> {
  const { loadLlamaTokenizer } = await import('../../../packages/backends/src/architectures/llama/llama-tokenizer.ts');
  const dir = await mkdtemp(join(tmpdir(), 'judgekit-bench-smollm-135m-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const started = performance.now();
  const { parameters } = await runCase<{ parameters: number }>('write-smollm-135m', { dir }, log);
  log(`wrote the SmolLM-135M-shaped Llama (${fmt(parameters / 1e6, 1)}M parameters) and its transformers.js folder to ${dir} (${fmt((performance.now() - started) / 1000)} s; deleted at exit)`);
  const checkpointPath = join(dir, SMOLLM_ID, 'model.safetensors');
  const tokenizer = await loadLlamaTokenizer(checkpointPath, { ...SMOLLM_CONFIG });
  const s = SMOLLM_135M_SHAPE;
  return {
    name: 'smollm-135m',
    family: 'llama',
    checkpointPath,
    transformersRoot: join(dir, 'transformers'),
    transformersId: SMOLLM_ID,
    parameters,
    vocab: s.vocabSize,
    embDim: s.embDim,
    headDim: s.headDim,
    kvBytesPerToken: 2 * s.nLayers * s.nKvHeads * s.headDim * 4,
    endOfText: 0,
    description:
      `a Llama shape of SmolLM-135M's size (${s.nLayers} layers, hidden ${s.embDim}, ${s.nHeads} heads, ${s.nKvHeads} KV heads, SwiGLU ${s.intermediateSize}, vocab ${s.vocabSize}, ` +
      `tied head, rope_theta ${s.ropeTheta}, RMSNorm eps ${s.rmsNormEps}; ${fmt(parameters / 1e6, 1)}M parameters, ${fmt((parameters * 4) / 2 ** 30, 2)} GiB in F32) with seeded random weights ` +
      '(normal(0, 0.02) matrices), Hugging Face LlamaForCausalLM naming, and a synthetic 49,152-entry byte-level BPE tokenizer.json ' +
      "(`<|endoftext|>` at id 0 as SmolLM's BOS and EOS, then GPT-2's first 49,151 BPE tokens and their merges), written to a temp dir by the bench and deleted afterwards",
    forwardFlops: (batch, seq) => llamaForwardFlops(s, batch, seq),
    flopsFormula: 'tokens x (2 L (C H D + 2 C KV D + H D C + 3 C I) + 2 V C + 4 L T H D): q, k, v, o and SwiGLU matmuls, the tied head, and QK^T/PV over the full T x T square',
    encode: async (texts) => texts.map((text) => tokenizer.encode(text, { allowEndOfText: true })),
    peerClass: 'LlamaForCausalLM',
  };
}

/** The model `name` stands for, built on first use (the Llama shape once per process). */
export async function ensureBenchModel(name: BenchModelName, log: (line: string) => void = () => {}): Promise<ChosenBenchModel> {
  if (name === 'smollm-135m') return (llama ??= buildSmollmShape(log));
  const model = await ensureGpt2SmallModel(log, name);
  const { shape, label } = GPT2_BENCH_SIZES[name];
  const { encodeGpt2 } = await import('@judgekit/backends/tokenizer');
  return {
    ...model,
    name,
    family: 'gpt2',
    vocab: shape.vocabSize,
    embDim: shape.embDim,
    headDim: shape.embDim / shape.nHeads,
    kvBytesPerToken: 2 * shape.nLayers * shape.embDim * 4,
    endOfText: 50256,
    description: `${label}'s shape (${shape.embDim} dim, ${shape.nLayers} layers, ${shape.nHeads} heads, vocab 50257, context 1024, tied head, ${fmt(model.parameters / 1e6, 1)}M\nparameters) with seeded random weights, built by the bench under \`.bench/\``,
    forwardFlops: (batch, seq) => gpt2ForwardFlops(shape, batch, seq),
    flopsFormula: 'tokens x (24 L C^2 + 2 V C + 4 L T C): block matmuls, output head, and QK^T/PV over the full T x T\nsquare as the graph computes it',
    encode: async (texts) => texts.map((text) => encodeGpt2(text, { allowEndOfText: true })),
    peerClass: 'GPT2LMHeadModel',
  };
}

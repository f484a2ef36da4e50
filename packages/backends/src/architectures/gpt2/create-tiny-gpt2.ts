// Writes small seeded random GPT-2 checkpoints (+ config) in either naming, for tests and examples.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom, type Random } from '@judgekit/core';
import { gpt2ConfigToJson, type Gpt2Config } from './gpt2-config.js';
import { loadGpt2Checkpoint, transpose2d, type LoadedGpt2 } from './load-gpt2-checkpoint.js';
import { writeSafetensors, type SafetensorsInput } from '@judgekit/core';

export interface TinyGpt2Options {
  seed?: number;
  vocabSize?: number;
  contextLength?: number;
  embDim?: number;
  nLayers?: number;
  nHeads?: number;
  qkvBias?: boolean;
  tiedHead?: boolean;
  naming?: 'hf' | 'book';
  /** Directory to write into; default a fresh temp dir. */
  dir?: string;
  /** File name stem; default `model`. */
  name?: string;
  /** Hugging Face naming only: prefix names with `transformer.` (default true). */
  hfPrefix?: boolean;
  /** Storage dtype (default F32). */
  dtype?: 'F32' | 'F16' | 'BF16';
  /** Where the config goes: `<name>.json` (default for book), `config.json` (default for hf), or none. */
  configFile?: 'stem' | 'config.json' | 'none';
  /** Standard deviation of the random weights (default 0.2, large enough that logits differ clearly). */
  scale?: number;
}

export interface TinyGpt2 {
  dir: string;
  checkpointPath: string;
  configPath: string | undefined;
  config: Gpt2Config;
  /** The checkpoint as loadGpt2Checkpoint reads it back. */
  model: LoadedGpt2;
}

function normal(random: Random): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

export async function createTinyGpt2(options: TinyGpt2Options = {}): Promise<TinyGpt2> {
  const config: Gpt2Config = {
    vocabSize: options.vocabSize ?? 96,
    contextLength: options.contextLength ?? 32,
    embDim: options.embDim ?? 16,
    nLayers: options.nLayers ?? 2,
    nHeads: options.nHeads ?? 2,
    qkvBias: options.qkvBias ?? true,
    tiedHead: options.tiedHead ?? true,
  };
  const naming = options.naming ?? 'hf';
  const dtype = options.dtype ?? 'F32';
  const random = seededRandom(options.seed ?? 1);
  const scale = options.scale ?? 0.2;
  const rand = (n: number, std = scale, mean = 0) => Float32Array.from({ length: n }, () => mean + std * normal(random));
  const C = config.embDim;
  const V = config.vocabSize;
  const tensors: Record<string, SafetensorsInput> = {};
  const put = (name: string, shape: number[], data: Float32Array) => {
    tensors[name] = { dtype, shape, data };
  };
  const wte = rand(V * C);
  const wpe = rand(config.contextLength * C);
  const p = naming === 'hf' && (options.hfPrefix ?? true) ? 'transformer.' : '';
  if (naming === 'hf') {
    put(`${p}wte.weight`, [V, C], wte);
    put(`${p}wpe.weight`, [config.contextLength, C], wpe);
  } else {
    put('tok_emb.weight', [V, C], wte);
    put('pos_emb.weight', [config.contextLength, C], wpe);
  }
  for (let i = 0; i < config.nLayers; i++) {
    const ln1s = rand(C, 0.1, 1);
    const ln1b = rand(C, 0.1);
    const ln2s = rand(C, 0.1, 1);
    const ln2b = rand(C, 0.1);
    const qkv = rand(C * 3 * C); // [in, out]
    const qkvB = config.qkvBias ? rand(3 * C) : null;
    const wo = rand(C * C);
    const bo = rand(C);
    const fc = rand(C * 4 * C);
    const fcb = rand(4 * C);
    const proj = rand(4 * C * C);
    const projb = rand(C);
    if (naming === 'hf') {
      const h = `${p}h.${i}.`;
      put(`${h}ln_1.weight`, [C], ln1s);
      put(`${h}ln_1.bias`, [C], ln1b);
      put(`${h}attn.c_attn.weight`, [C, 3 * C], qkv);
      // Hugging Face GPT-2 always has this bias; without qkv bias it is simply zero.
      put(`${h}attn.c_attn.bias`, [3 * C], qkvB ?? new Float32Array(3 * C));
      put(`${h}attn.c_proj.weight`, [C, C], wo);
      put(`${h}attn.c_proj.bias`, [C], bo);
      put(`${h}ln_2.weight`, [C], ln2s);
      put(`${h}ln_2.bias`, [C], ln2b);
      put(`${h}mlp.c_fc.weight`, [C, 4 * C], fc);
      put(`${h}mlp.c_fc.bias`, [4 * C], fcb);
      put(`${h}mlp.c_proj.weight`, [4 * C, C], proj);
      put(`${h}mlp.c_proj.bias`, [C], projb);
      // Buffers older exports carry; the loader must ignore them.
      tensors[`${h}attn.bias`] = { dtype: 'F32', shape: [1, 1, config.contextLength, config.contextLength], data: new Float32Array(config.contextLength ** 2).fill(1) };
      tensors[`${h}attn.masked_bias`] = { dtype: 'F32', shape: [], data: [-1e4] };
    } else {
      const h = `trf_blocks.${i}.`;
      const cols = (from: number) => {
        const out = new Float32Array(C * C);
        for (let r = 0; r < C; r++) out.set(qkv.subarray(r * 3 * C + from, r * 3 * C + from + C), r * C);
        return transpose2d(out, C, C); // [out, in]
      };
      put(`${h}att.W_query.weight`, [C, C], cols(0));
      put(`${h}att.W_key.weight`, [C, C], cols(C));
      put(`${h}att.W_value.weight`, [C, C], cols(2 * C));
      if (qkvB) {
        put(`${h}att.W_query.bias`, [C], qkvB.slice(0, C));
        put(`${h}att.W_key.bias`, [C], qkvB.slice(C, 2 * C));
        put(`${h}att.W_value.bias`, [C], qkvB.slice(2 * C));
      }
      put(`${h}att.out_proj.weight`, [C, C], transpose2d(wo, C, C));
      put(`${h}att.out_proj.bias`, [C], bo);
      put(`${h}norm1.scale`, [C], ln1s);
      put(`${h}norm1.shift`, [C], ln1b);
      put(`${h}norm2.scale`, [C], ln2s);
      put(`${h}norm2.shift`, [C], ln2b);
      put(`${h}ff.layers.0.weight`, [4 * C, C], transpose2d(fc, C, 4 * C));
      put(`${h}ff.layers.0.bias`, [4 * C], fcb);
      put(`${h}ff.layers.2.weight`, [C, 4 * C], transpose2d(proj, 4 * C, C));
      put(`${h}ff.layers.2.bias`, [C], projb);
    }
  }
  const lnfS = rand(C, 0.1, 1);
  const lnfB = rand(C, 0.1);
  const head = config.tiedHead ? wte : rand(V * C);
  if (naming === 'hf') {
    put(`${p}ln_f.weight`, [C], lnfS);
    put(`${p}ln_f.bias`, [C], lnfB);
    if (!config.tiedHead) put('lm_head.weight', [V, C], head);
  } else {
    put('final_norm.scale', [C], lnfS);
    put('final_norm.shift', [C], lnfB);
    put('out_head.weight', [V, C], head);
  }
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'judgekit-tiny-gpt2-')));
  const name = options.name ?? 'model';
  const checkpointPath = join(dir, `${name}.safetensors`);
  await writeSafetensors(checkpointPath, tensors, { format: 'pt' });
  const configFile = options.configFile ?? (naming === 'book' ? 'stem' : 'config.json');
  let configPath: string | undefined;
  if (configFile !== 'none') {
    configPath = join(dir, configFile === 'stem' ? `${name}.json` : 'config.json');
    await writeFile(configPath, `${JSON.stringify(gpt2ConfigToJson(config, naming), null, 2)}\n`);
  }
  const model = await loadGpt2Checkpoint(checkpointPath, configPath ? { configPath } : {});
  return { dir, checkpointPath, configPath, config: model.config, model };
}

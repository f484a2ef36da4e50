import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JudgekitError, SafetensorsFile, writeSafetensors, type SafetensorsInput } from '@judgekit/core';
import { loadModelCheckpoint } from '../index.js';
import { createTinyLlama, type TinyLlama } from './create-tiny-llama.js';
import { llamaArchitecture } from './llama-architecture.js';
import { loadLlamaCheckpoint } from './load-llama-checkpoint.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tiny(options: Parameters<typeof createTinyLlama>[0] = {}): Promise<TinyLlama> {
  const made = await createTinyLlama(options);
  dirs.push(made.dir);
  return made;
}

/** Rewrite the checkpoint's tensors through `edit` (names -> tensors, in file order). */
async function rewrite(made: TinyLlama, edit: (tensors: Map<string, SafetensorsInput>) => void): Promise<void> {
  const file = await SafetensorsFile.read(made.checkpointPath);
  const tensors = new Map<string, SafetensorsInput>(file.names().map((name) => [name, { dtype: 'F32', shape: file.entry(name).shape, data: file.float32(name).data }]));
  edit(tensors);
  await writeSafetensors(made.checkpointPath, Object.fromEntries(tensors));
}

async function editConfig(made: TinyLlama, edit: (json: Record<string, unknown>) => void): Promise<void> {
  const json = JSON.parse(await readFile(made.configPath, 'utf8')) as Record<string, unknown>;
  edit(json);
  await writeFile(made.configPath, JSON.stringify(json));
}

async function error(promise: Promise<unknown>): Promise<JudgekitError> {
  try {
    await promise;
  } catch (caught) {
    if (JudgekitError.is(caught)) return caught;
    throw caught;
  }
  throw new Error('expected a JudgekitError');
}

describe('loadLlamaCheckpoint', () => {
  it('maps Hugging Face LlamaForCausalLM tensors to canonical names with every projection transposed to [in, out]', async () => {
    const made = await tiny({ seed: 4, tiedHead: false, attentionBias: true });
    const file = await SafetensorsFile.read(made.checkpointPath);
    const { config, parameters, source } = made.model;
    expect(source).toMatchObject({ naming: 'hf', prefix: 'model.' });
    expect(config).toMatchObject({ nHeads: 4, nKvHeads: 2, headDim: 8, tiedHead: false, attentionBias: true, eosTokenId: 2, bosTokenId: 1 });
    // k_proj is [KV*D, C] = [16, 32] in the file and [32, 16] canonical: canonical[i][o] = file[o][i].
    const fileK = file.float32('model.layers.1.self_attn.k_proj.weight').data;
    const k = parameters.get('layers.1.self_attn.k_proj.weight')!;
    for (const [i, o] of [[0, 0], [3, 7], [31, 15]] as const) expect(k[i * 16 + o]).toBe(fileK[o * 32 + i]);
    expect([...parameters.get('layers.0.self_attn.q_proj.bias')!]).toEqual([...file.float32('model.layers.0.self_attn.q_proj.bias').data]);
    expect([...parameters.get('lm_head.weight')!]).toEqual([...file.float32('lm_head.weight').data]);
    expect([...parameters.get('norm.weight')!]).toEqual([...file.float32('model.norm.weight').data]);
  });

  it('is picked by the registry from config.json\'s model_type "llama"', async () => {
    const made = await tiny({ seed: 5 });
    const loaded = await loadModelCheckpoint(made.checkpointPath);
    expect(loaded.modelType).toBe('llama');
    expect(loaded.config).toEqual(made.config);
  });

  it('ties the head when lm_head.weight is absent, and reads a bare LlamaModel without the `model.` prefix', async () => {
    const made = await tiny({ seed: 6, tiedHead: true });
    expect(made.model.config.tiedHead).toBe(true);
    expect(made.model.parameters.has('lm_head.weight')).toBe(false);
    const before = made.model.parameters;
    await rewrite(made, (tensors) => {
      for (const [name, tensor] of [...tensors]) {
        tensors.delete(name);
        tensors.set(name.replace(/^model\./, ''), tensor);
      }
    });
    const bare = await loadLlamaCheckpoint(made.checkpointPath);
    expect(bare.source.prefix).toBe('');
    expect([...bare.parameters.keys()]).toEqual([...before.keys()]);
    expect([...bare.parameters.get('layers.1.mlp.down_proj.weight')!]).toEqual([...before.get('layers.1.mlp.down_proj.weight')!]);
  });

  it.each(['F16', 'BF16'] as const)('reads a %s checkpoint as float32: the F32 checkpoint\'s values rounded to that type', async (dtype) => {
    const f32 = await tiny({ seed: 7 });
    const half = await tiny({ seed: 7, dtype });
    const a = f32.model.parameters.get('layers.0.mlp.gate_proj.weight')!;
    const b = half.model.parameters.get('layers.0.mlp.gate_proj.weight')!;
    expect(b).toBeInstanceOf(Float32Array);
    let maxRelative = 0;
    let differing = 0;
    for (let i = 0; i < a.length; i++) {
      maxRelative = Math.max(maxRelative, Math.abs(a[i]! - b[i]!) / Math.abs(a[i]!));
      if (a[i] !== b[i]) differing++;
    }
    // Half precision keeps 11 significant bits, bfloat16 8: rounding errors up to 2^-11 and 2^-8 relative.
    expect(maxRelative).toBeLessThanOrEqual(dtype === 'F16' ? 2 ** -11 : 2 ** -8);
    expect(differing).toBeGreaterThan(0);
  });

  it('names the file and the tensor when a tensor is missing or has the wrong shape', async () => {
    const missing = await tiny({ seed: 8 });
    await rewrite(missing, (tensors) => tensors.delete('model.layers.1.mlp.up_proj.weight'));
    const e1 = await error(loadLlamaCheckpoint(missing.checkpointPath));
    expect(e1.message).toBe(`${missing.checkpointPath} has no tensor "model.layers.1.mlp.up_proj.weight" (expected shape [64, 32]).`);
    expect(e1.file).toBe(missing.checkpointPath);
    expect(e1.location).toBe('model.layers.1.mlp.up_proj.weight');

    const wrong = await tiny({ seed: 8 });
    await editConfig(wrong, (json) => {
      json.num_key_value_heads = 4;
    });
    const e2 = await error(loadLlamaCheckpoint(wrong.checkpointPath));
    expect(e2.message).toContain(`${wrong.checkpointPath}: tensor "model.layers.0.self_attn.k_proj.weight" has shape [16, 32] but ${wrong.configPath} needs [32, 32] (nn.Linear layout [out, in])`);
    expect(e2.location).toBe('model.layers.0.self_attn.k_proj.weight');
  });

  it('refuses a config that contradicts the tensors: attention_bias, tie_word_embeddings, num_hidden_layers', async () => {
    const bias = await tiny({ seed: 9 });
    await editConfig(bias, (json) => {
      json.attention_bias = true;
    });
    expect((await error(loadLlamaCheckpoint(bias.checkpointPath))).message).toContain('the config says attention_bias=true but the checkpoint has no "model.layers.0.self_attn.q_proj.bias"');
    const untied = await tiny({ seed: 9, tiedHead: true });
    await editConfig(untied, (json) => {
      json.tie_word_embeddings = false;
    });
    const e = await error(loadLlamaCheckpoint(untied.checkpointPath));
    expect(e.message).toBe(`${untied.checkpointPath} has no tensor "lm_head.weight" but ${untied.configPath} says "tie_word_embeddings": false; set it to true if the head is the token embedding.`);
    const layers = await tiny({ seed: 9 });
    await editConfig(layers, (json) => {
      json.num_hidden_layers = 3;
    });
    expect((await error(loadLlamaCheckpoint(layers.checkpointPath))).message).toContain('the config says 3 layers ("num_hidden_layers") but the checkpoint holds 2');
  });

  it('asks for config.json when there is none, and refuses a checkpoint that is not a Llama one', async () => {
    const made = await tiny({ seed: 10 });
    await rm(made.configPath);
    const e = await error(loadLlamaCheckpoint(made.checkpointPath));
    expect(e.kind).toBe('config');
    expect(e.message).toContain('a Llama checkpoint needs its config.json');
    const other = await tiny({ seed: 10 });
    await writeSafetensors(join(other.dir, 'model.safetensors'), { 'transformer.wte.weight': { dtype: 'F32', shape: [2, 2], data: [1, 2, 3, 4] } });
    expect((await error(loadLlamaCheckpoint(other.checkpointPath))).message).toBe(
      `${other.checkpointPath} is not a Llama checkpoint: expected "model.embed_tokens.weight" (Hugging Face LlamaForCausalLM); found transformer.wte.weight.`,
    );
  });
});

describe('Llama checkpoint tensors for the trainer', () => {
  it.each([
    { tiedHead: true, attentionBias: false },
    { tiedHead: false, attentionBias: true },
  ])('maps the parameters back to the very tensors of the Hugging Face file (%o)', async (options) => {
    const made = await tiny({ seed: 11, ...options });
    const file = await SafetensorsFile.read(made.checkpointPath);
    const { config, parameters } = llamaArchitecture.training.checkpointParameters(made.model, file.names());
    expect(llamaArchitecture.training.parameterSpecs(config).map((spec) => spec.name)).toEqual([...parameters.keys()]);
    // Copies: the trainer must never write into the loader's buffers.
    expect(parameters.get('embed_tokens.weight')).not.toBe(made.model.parameters.get('embed_tokens.weight'));
    const tensors = llamaArchitecture.training.checkpointTensors(config, parameters, { naming: 'hf', prefix: 'model.', sourceNames: file.names() });
    expect([...tensors.keys()].sort()).toEqual(file.names().sort());
    for (const [name, tensor] of tensors) {
      expect(tensor.shape, name).toEqual(file.entry(name).shape);
      expect([...tensor.data], name).toEqual([...file.float32(name).data]);
    }
  });
});

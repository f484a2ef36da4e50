// Loads a Hugging Face LlamaForCausalLM checkpoint (safetensors: `model.embed_tokens.weight`,
// `model.layers.{i}.self_attn.q_proj.weight` [out, in], ..., `model.norm.weight`, `lm_head.weight` unless tied) into
// the canonical parameters of llama-parameters.ts: names without `model.`, every projection transposed to [in, out].
// F16 and BF16 tensors become float32 (SafetensorsFile decodes them); tensors are read one by one with positioned
// reads, so checkpoints over 2 GiB load as GPT-2's do.
import { JudgekitError, SafetensorsFile } from '@judgekit/core';
import type { LoadedModel } from '../architecture.js';
import { findConfigBeside, readConfigJson } from '../model-config.js';
import { transpose2d } from '../gpt2/load-gpt2-checkpoint.js';
import { completeLlamaConfig, LLAMA_MODEL_TYPE, parseLlamaConfigJson, type LlamaConfig, type PartialLlamaConfig } from './llama-config.js';
import { checkLlamaParameters, llamaParameterSpecs, type LlamaParameters } from './llama-parameters.js';

export interface LoadedLlama extends LoadedModel<LlamaConfig> {
  readonly modelType: typeof LLAMA_MODEL_TYPE;
  config: LlamaConfig;
  /** Canonical parameters (llama-parameters.ts); with a tied head there is no `lm_head.weight`. */
  parameters: LlamaParameters;
  /** `prefix`: `model.` when the checkpoint's names carry it (LlamaForCausalLM), else '' (a bare LlamaModel). */
  source: { path: string; naming: 'hf'; prefix: string; configPath?: string };
}

/** Canonical names whose checkpoint tensors are nn.Linear weights ([out, in]), transposed on load and save. */
export function isLlamaProjection(canonical: string): boolean {
  return /\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)\.weight$/.test(canonical);
}

/** The checkpoint tensor name of a canonical parameter: `model.` + name, except the head. */
export function llamaTensorName(canonical: string, prefix: string): string {
  return canonical === 'lm_head.weight' ? canonical : `${prefix}${canonical}`;
}

/** `model.` or '' from a checkpoint's tensor names; throws naming the file when it is not a Llama checkpoint. */
export function detectLlamaPrefix(names: readonly string[], file = '<checkpoint>'): string {
  if (names.includes('model.embed_tokens.weight')) return 'model.';
  if (names.includes('embed_tokens.weight')) return '';
  const sample = names.slice(0, 5).join(', ');
  throw new JudgekitError(
    'model',
    `${file} is not a Llama checkpoint: expected "model.embed_tokens.weight" (Hugging Face LlamaForCausalLM); found ${sample}${names.length > 5 ? ', ...' : ''}.`,
    { file, location: 'model.embed_tokens.weight' },
  );
}

function countLayers(names: readonly string[], prefix: string): number {
  const pattern = new RegExp(`^${prefix.replace('.', '\\.')}layers\\.(\\d+)\\.`);
  let max = -1;
  for (const name of names) {
    const match = pattern.exec(name);
    if (match) max = Math.max(max, Number(match[1]));
  }
  return max + 1;
}

/** Load a safetensors Llama checkpoint; its config.json (or `options.configPath`) is required. */
export async function loadLlamaCheckpoint(path: string, options: { configPath?: string } = {}): Promise<LoadedLlama> {
  const configPath = options.configPath ?? (await findConfigBeside(path));
  if (!configPath) {
    throw new JudgekitError('config', `${path}: a Llama checkpoint needs its config.json (heads, KV heads, RoPE theta, RMSNorm epsilon) beside it or given with --config.`, { file: path });
  }
  const stated = parseLlamaConfigJson(await readConfigJson(configPath), configPath);
  let file: SafetensorsFile;
  try {
    // Rotary inverse-frequency buffers some exports carry are recomputed from rope_theta, so not read.
    file = await SafetensorsFile.read(path, { include: (name) => !name.endsWith('rotary_emb.inv_freq') });
  } catch (error) {
    if (JudgekitError.is(error)) throw error;
    throw new JudgekitError('model', `cannot read the checkpoint ${path}: ${(error as Error).message}`, { file: path, cause: error });
  }
  return llamaFromSafetensors(file, stated, configPath);
}

/** Build the canonical parameters from an opened safetensors file and its parsed config. */
export function llamaFromSafetensors(file: SafetensorsFile, stated: PartialLlamaConfig, configPath?: string): LoadedLlama {
  const names = file.names();
  const prefix = detectLlamaPrefix(names, file.path);
  const shapeOf = (name: string): number[] | undefined => (file.has(name) ? file.entry(name).shape : undefined);
  const embShape = shapeOf(`${prefix}embed_tokens.weight`)!;
  const gateShape = shapeOf(`${prefix}layers.0.mlp.gate_proj.weight`);
  const layersFound = countLayers(names, prefix);
  const hasHead = file.has('lm_head.weight');
  const biasFound = file.has(`${prefix}layers.0.self_attn.q_proj.bias`);
  const where = configPath ?? file.path;
  // What the config leaves out comes from the tensors; the heads cannot, so completeLlamaConfig asks for them.
  const config = completeLlamaConfig(
    {
      ...stated,
      vocabSize: stated.vocabSize ?? embShape[0],
      embDim: stated.embDim ?? embShape[1],
      nLayers: stated.nLayers ?? layersFound,
      intermediateSize: stated.intermediateSize ?? gateShape?.[0],
      tiedHead: stated.tiedHead ?? !hasHead,
      attentionBias: stated.attentionBias ?? biasFound,
    },
    where,
  );
  if (config.nLayers !== layersFound) {
    throw new JudgekitError('model', `${file.path}: the config says ${config.nLayers} layers ("num_hidden_layers") but the checkpoint holds ${layersFound}.`, { file: file.path, location: 'num_hidden_layers' });
  }
  if (config.attentionBias !== biasFound) {
    throw new JudgekitError(
      'model',
      `${file.path}: the config says attention_bias=${config.attentionBias} but the checkpoint ${biasFound ? 'has' : 'has no'} "${prefix}layers.0.self_attn.q_proj.bias"; fix "attention_bias" in ${where}.`,
      { file: file.path, location: `${prefix}layers.0.self_attn.q_proj.bias` },
    );
  }
  if (!config.tiedHead && !hasHead) {
    throw new JudgekitError(
      'model',
      `${file.path} has no tensor "lm_head.weight" but ${where} says "tie_word_embeddings": false; set it to true if the head is the token embedding.`,
      { file: file.path, location: 'lm_head.weight' },
    );
  }
  const parameters: LlamaParameters = new Map();
  for (const spec of llamaParameterSpecs(config)) {
    const tensor = llamaTensorName(spec.name, prefix);
    const projection = isLlamaProjection(spec.name);
    // nn.Linear stores [out, in]; the canonical layout is [in, out].
    const expected = projection ? [spec.shape[1]!, spec.shape[0]!] : spec.shape;
    if (!file.has(tensor)) {
      throw new JudgekitError('model', `${file.path} has no tensor "${tensor}" (expected shape [${expected.join(', ')}]).`, { file: file.path, location: tensor });
    }
    const entry = file.entry(tensor);
    if (entry.shape.length !== expected.length || entry.shape.some((d, i) => d !== expected[i])) {
      throw new JudgekitError(
        'model',
        `${file.path}: tensor "${tensor}" has shape [${entry.shape.join(', ')}] but ${where} needs [${expected.join(', ')}]${projection ? ' (nn.Linear layout [out, in])' : ''}. Check hidden_size, intermediate_size, num_attention_heads, num_key_value_heads and head_dim.`,
        { file: file.path, location: tensor },
      );
    }
    const { data } = file.float32(tensor);
    parameters.set(spec.name, projection ? transpose2d(data, expected[0]!, expected[1]!) : data.slice());
    file.release(tensor);
  }
  checkLlamaParameters(config, parameters);
  return { modelType: LLAMA_MODEL_TYPE, config, parameters, source: { path: file.path, naming: 'hf', prefix, ...(configPath ? { configPath } : {}) } };
}

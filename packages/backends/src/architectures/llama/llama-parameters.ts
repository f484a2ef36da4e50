// The trainer's and graph builders' view of a Llama model: its parameters under canonical names. These are Hugging
// Face's LlamaForCausalLM names without the `model.` prefix, with every projection matrix stored [in, out] (the
// transpose of nn.Linear's [out, in]) so graphs compute x @ W directly, as GPT-2's canonical Conv1D layout does.
// Embedding and head stay [vocab, hidden]. Checkpoint tensors are mapped to and from these names on load and save.
import { assertParameters, seededParameters, type ModelParameters, type ParameterSpec } from '../../training/model-parameters.js';
import { validateLlamaConfig, type LlamaConfig } from './llama-config.js';

/** Parameters by canonical name, float32, row-major. */
export type LlamaParameters = ModelParameters;

/**
 * Every trainable parameter in a fixed order (graph inputs, optimizer state and checkpoints follow it):
 * `embed_tokens.weight` [V, C]; per layer `layers.{i}.` `input_layernorm.weight` [C], `self_attn.q_proj.weight`
 * [C, H*D], `self_attn.k_proj.weight` and `self_attn.v_proj.weight` [C, KV*D], `self_attn.o_proj.weight` [H*D, C]
 * (with `attentionBias`, `.bias` vectors [H*D], [KV*D], [KV*D], [C] after each weight), `post_attention_layernorm.weight`
 * [C], `mlp.gate_proj.weight` and `mlp.up_proj.weight` [C, I], `mlp.down_proj.weight` [I, C]; `norm.weight` [C]; and
 * `lm_head.weight` [V, C] when the head is untied.
 */
export function llamaParameterSpecs(config: LlamaConfig): ParameterSpec[] {
  validateLlamaConfig(config);
  const { vocabSize: V, embDim: C, nHeads: H, nKvHeads: KV, headDim: D, intermediateSize: I } = config;
  const specs: ParameterSpec[] = [{ name: 'embed_tokens.weight', shape: [V, C] }];
  for (let i = 0; i < config.nLayers; i++) {
    const p = `layers.${i}.`;
    specs.push({ name: `${p}input_layernorm.weight`, shape: [C] });
    const projections: Array<[string, number, number]> = [
      ['q_proj', C, H * D],
      ['k_proj', C, KV * D],
      ['v_proj', C, KV * D],
      ['o_proj', H * D, C],
    ];
    for (const [name, fanIn, fanOut] of projections) {
      specs.push({ name: `${p}self_attn.${name}.weight`, shape: [fanIn, fanOut] });
      if (config.attentionBias) specs.push({ name: `${p}self_attn.${name}.bias`, shape: [fanOut] });
    }
    specs.push({ name: `${p}post_attention_layernorm.weight`, shape: [C] });
    specs.push({ name: `${p}mlp.gate_proj.weight`, shape: [C, I] }, { name: `${p}mlp.up_proj.weight`, shape: [C, I] }, { name: `${p}mlp.down_proj.weight`, shape: [I, C] });
  }
  specs.push({ name: 'norm.weight', shape: [C] });
  if (!config.tiedHead) specs.push({ name: 'lm_head.weight', shape: [V, C] });
  return specs;
}

/** Throw unless `params` holds exactly the parameters of `config` with the right sizes. */
export function checkLlamaParameters(config: LlamaConfig, params: LlamaParameters): void {
  assertParameters(llamaParameterSpecs(config), params);
}

/**
 * Seeded random weights (normal(0, std) matrices and embeddings, RMSNorm weights 1, biases 0), plus a small random
 * offset on norm weights and biases when `perturb` is set so tests exercise every term.
 */
export function randomLlamaParameters(config: LlamaConfig, seed: number, options: { perturb?: boolean; std?: number } = {}): LlamaParameters {
  return seededParameters(llamaParameterSpecs(config), seed, { ...options, isNormWeight: (name) => /(layernorm|norm)\.weight$/.test(name) });
}

// The trainer's view of a GPT-2 model: its shape and its parameters under canonical names (Hugging Face names
// without the `transformer.` prefix, matrices in Conv1D [in, out] layout so the graph computes x @ W directly).
// Checkpoint naming schemes are mapped to and from these names in gpt2-checkpoint-tensors.ts.
import { JudgekitError } from '@judgekit/core';
import { assertParameters, seededParameters, type ModelParameters, type ParameterSpec } from '../../training/model-parameters.js';
import type { Gpt2Config } from './gpt2-config.js';

/** The trainer's name for a model's shape: the same fields as the engine's Gpt2Config. */
export type Gpt2Shape = Gpt2Config;

/** Parameters by canonical name, float32, row-major. */
export type Gpt2Parameters = ModelParameters;

function checkGpt2Shape(shape: Gpt2Shape): void {
  const ints: Array<keyof Gpt2Shape> = ['vocabSize', 'contextLength', 'embDim', 'nLayers', 'nHeads'];
  for (const key of ints) {
    const value = shape[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new JudgekitError('model', `GPT-2 shape: \`${key}\` must be a positive integer, got ${String(value)}.`);
    }
  }
  if (shape.embDim % shape.nHeads !== 0) {
    throw new JudgekitError('model', `GPT-2 shape: emb_dim ${shape.embDim} is not divisible by n_heads ${shape.nHeads}.`);
  }
}

/** Every trainable parameter in a fixed order (the order of graph inputs, optimizer state and checkpoints). */
export function parameterSpecs(shape: Gpt2Shape): ParameterSpec[] {
  checkGpt2Shape(shape);
  const { vocabSize: V, contextLength: P, embDim: C, nLayers } = shape;
  const specs: ParameterSpec[] = [
    { name: 'wte.weight', shape: [V, C] },
    { name: 'wpe.weight', shape: [P, C] },
  ];
  for (let i = 0; i < nLayers; i++) {
    const p = `h.${i}.`;
    specs.push({ name: `${p}ln_1.weight`, shape: [C] }, { name: `${p}ln_1.bias`, shape: [C] });
    specs.push({ name: `${p}attn.c_attn.weight`, shape: [C, 3 * C] });
    if (shape.qkvBias) specs.push({ name: `${p}attn.c_attn.bias`, shape: [3 * C] });
    specs.push({ name: `${p}attn.c_proj.weight`, shape: [C, C] }, { name: `${p}attn.c_proj.bias`, shape: [C] });
    specs.push({ name: `${p}ln_2.weight`, shape: [C] }, { name: `${p}ln_2.bias`, shape: [C] });
    specs.push({ name: `${p}mlp.c_fc.weight`, shape: [C, 4 * C] }, { name: `${p}mlp.c_fc.bias`, shape: [4 * C] });
    specs.push({ name: `${p}mlp.c_proj.weight`, shape: [4 * C, C] }, { name: `${p}mlp.c_proj.bias`, shape: [C] });
  }
  specs.push({ name: 'ln_f.weight', shape: [C] }, { name: 'ln_f.bias', shape: [C] });
  if (!shape.tiedHead) specs.push({ name: 'lm_head.weight', shape: [V, C] });
  return specs;
}

/** Throw unless `params` holds exactly the parameters of `shape` with the right sizes. */
export function checkParameters(shape: Gpt2Shape, params: Gpt2Parameters): void {
  assertParameters(parameterSpecs(shape), params);
}

/**
 * Seeded random weights in GPT-2's initialisation (normal(0, 0.02) matrices and embeddings, LN weight 1, biases
 * 0), plus a small random offset on LN and biases when `perturb` is set so tests exercise every term.
 */
export function randomGpt2Parameters(shape: Gpt2Shape, seed: number, options: { perturb?: boolean; std?: number } = {}): Gpt2Parameters {
  return seededParameters(parameterSpecs(shape), seed, { ...options, isNormWeight: (name) => /ln_\w+\.weight$/.test(name) });
}

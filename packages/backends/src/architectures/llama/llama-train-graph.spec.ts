// The Llama training graph's loss and gradients, through the generic trainer, against the float64 TypeScript oracle
// (llama-reference-loss.ts): loss to 1e-5, and every parameter tensor's gradient against central finite differences
// of the float64 loss (h = 1e-5), for multi-head, grouped-query and multi-query attention, with and without
// attention biases, tied and untied heads.
import { describe, expect, it } from 'vitest';
import type { Architecture } from '../architecture.js';
import { Gpt2Trainer } from '../../training/gpt2-trainer.js';
import { BOOK_ADAMW } from '../../training/adamw.js';
import { webgpuUnavailableReason } from '../../training/training-test-support.js';
import { completeLlamaConfig, type LlamaConfig } from './llama-config.js';
import { llamaParameterSpecs, randomLlamaParameters } from './llama-parameters.js';
import { llamaParametersToFloat64, referenceLlamaLoss } from './llama-reference-loss.js';
import { llamaArchitecture } from './llama-architecture.js';

const LLAMA_FOR_TRAINER = llamaArchitecture as unknown as Architecture;

const TINY = { naming: 'hf', vocabSize: 64, contextLength: 16, embDim: 16, nLayers: 2, nHeads: 4, intermediateSize: 24, rmsNormEps: 1e-5, ropeTheta: 500 } as const;
/**
 * |onnx - fd| <= ABS + REL * max|fd| of the tensor. Measured over every entry of every tensor (not just the sampled
 * ones): worst absolute error 1.6e-6 on the CPU and 1.7e-6 on WebGPU, worst relative to the tensor's max|fd| 4.2e-6.
 */
const ABS_TOLERANCE = 2e-6;
const REL_TOLERANCE = 1e-4;
const MAX_CHECKED_PER_TENSOR = 40;

function sampleIndices(length: number, seed: number): number[] {
  if (length <= MAX_CHECKED_PER_TENSOR) return Array.from({ length }, (_, i) => i);
  const picked = new Set<number>();
  let state = seed;
  while (picked.size < MAX_CHECKED_PER_TENSOR) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    picked.add(state % length);
  }
  return [...picked];
}

const BATCH = 2;
const SEQ = 7;

function tinyBatch(config: LlamaConfig): { inputs: number[]; targets: number[]; batch: number; seq: number } {
  const inputs = Array.from({ length: BATCH * SEQ }, (_, i) => (i * 13 + 5) % config.vocabSize);
  const targets = Array.from({ length: BATCH * SEQ }, (_, i) => (i % 5 === 4 ? -100 : (i * 7 + 3) % config.vocabSize));
  return { inputs, targets, batch: BATCH, seq: SEQ };
}

async function checkGradients(config: LlamaConfig, device: 'cpu' | 'webgpu'): Promise<{ worst: number; worstRelative: number }> {
  const params = randomLlamaParameters(config, 7, { perturb: true, std: 0.3 });
  const reference = llamaParametersToFloat64(params);
  const trainer = await Gpt2Trainer.create({ shape: config, architecture: LLAMA_FOR_TRAINER, parameters: params, optimizer: BOOK_ADAMW, device, threads: 1 });
  try {
    const batch = tinyBatch(config);
    const { inputs, targets } = batch;
    const { loss, tokens } = await trainer.accumulateGradients(batch);
    expect(tokens).toBe(targets.filter((t) => t !== -100).length);
    const expectedLoss = referenceLlamaLoss(config, reference, inputs, targets, BATCH, SEQ);
    expect(Math.abs(loss - expectedLoss)).toBeLessThan(1e-5);
    let worst = 0;
    let worstRelative = 0;
    for (const spec of llamaParameterSpecs(config)) {
      const grad = trainer.gradients.get(spec.name) as Float32Array;
      const weights = reference.get(spec.name) as Float64Array;
      const indices = sampleIndices(weights.length, spec.name.length);
      // For the embedding and the head, also check rows the batch uses (most sampled rows are unused).
      if (spec.name === 'embed_tokens.weight') for (const id of inputs.slice(0, 6)) for (let c = 0; c < 4; c++) indices.push(id * config.embDim + c);
      if (spec.name === 'lm_head.weight' || (spec.name === 'embed_tokens.weight' && config.tiedHead)) {
        for (const t of targets.slice(0, 6)) if (t !== -100) for (let c = 0; c < 4; c++) indices.push(t * config.embDim + c);
      }
      const fd: number[] = [];
      for (const i of indices) {
        const old = weights[i] as number;
        const h = 1e-5;
        weights[i] = old + h;
        const up = referenceLlamaLoss(config, reference, inputs, targets, BATCH, SEQ);
        weights[i] = old - h;
        const down = referenceLlamaLoss(config, reference, inputs, targets, BATCH, SEQ);
        weights[i] = old;
        fd.push((up - down) / (2 * h));
      }
      const scale = Math.max(...fd.map(Math.abs));
      expect(scale, `${spec.name} gradient should not be all zero`).toBeGreaterThan(0);
      indices.forEach((index, k) => {
        const error = Math.abs((grad[index] as number) - (fd[k] as number));
        worst = Math.max(worst, error);
        worstRelative = Math.max(worstRelative, error / scale);
        if (error > ABS_TOLERANCE + REL_TOLERANCE * scale) {
          throw new Error(`${spec.name}[${index}]: onnx ${grad[index]} vs finite difference ${fd[k]} (error ${error})`);
        }
      });
    }
    // With an untied head, token rows the batch never uses get exactly zero gradient (the host scatter zeroes first).
    if (!config.tiedHead) {
      const used = new Set(inputs);
      const unused = Array.from({ length: config.vocabSize }, (_, i) => i).find((i) => !used.has(i)) as number;
      const row = (trainer.gradients.get('embed_tokens.weight') as Float32Array).subarray(unused * config.embDim, (unused + 1) * config.embDim);
      expect(Array.from(row).every((v) => v === 0)).toBe(true);
    }
    return { worst, worstRelative };
  } finally {
    await trainer.dispose();
  }
}

interface Variant {
  label: string;
  shape: { nKvHeads: number; attentionBias: boolean; tiedHead: boolean; headDim?: number };
}

const VARIANTS: Variant[] = [
  { label: 'multi-head attention (4 query and 4 KV heads), no biases, untied head', shape: { nKvHeads: 4, attentionBias: false, tiedHead: false } },
  { label: 'grouped-query attention (4 query heads, 2 KV heads), no biases, tied head', shape: { nKvHeads: 2, attentionBias: false, tiedHead: true } },
  { label: 'grouped-query attention (4 query heads, 2 KV heads) with q/k/v/o biases, untied head', shape: { nKvHeads: 2, attentionBias: true, tiedHead: false } },
  {
    label: 'multi-query attention (1 KV head) with biases, tied head and head_dim 6 (query width 24 against hidden 16)',
    shape: { nKvHeads: 1, attentionBias: true, tiedHead: true, headDim: 6 },
  },
];

describe('Llama training graph gradients (CPU, float32 through the trainer vs float64 finite differences)', () => {
  for (const variant of VARIANTS) {
    it(`the loss equals the float64 reference and every parameter's gradient matches central finite differences for ${variant.label}`, async () => {
      const { worst, worstRelative } = await checkGradients(completeLlamaConfig({ ...TINY, ...variant.shape }), 'cpu');
      expect(worst).toBeLessThan(ABS_TOLERANCE + REL_TOLERANCE);
      expect(worstRelative).toBeLessThan(1e-4);
    });
  }

  it("the evaluation graph (no backward) gives the gradient graph's loss and count", async () => {
    const config = completeLlamaConfig({ ...TINY, nKvHeads: 2, attentionBias: true, tiedHead: false });
    const trainer = await Gpt2Trainer.create({ shape: config, architecture: LLAMA_FOR_TRAINER, parameters: randomLlamaParameters(config, 3, { perturb: true, std: 0.3 }), optimizer: BOOK_ADAMW, threads: 1 });
    try {
      const batch = tinyBatch(config);
      const evaluated = await trainer.evaluate(batch);
      const trained = await trainer.accumulateGradients(batch);
      expect(evaluated.tokens).toBe(trained.tokens);
      expect(Math.abs(evaluated.loss - trained.loss)).toBeLessThan(1e-6);
    } finally {
      await trainer.dispose();
    }
  });

  it("rotary embeddings use the config's rope_theta: the loss changes when only the theta changes", async () => {
    const config = completeLlamaConfig({ ...TINY, nKvHeads: 2, attentionBias: false, tiedHead: false });
    const params = randomLlamaParameters(config, 5, { perturb: true, std: 0.3 });
    const batch = tinyBatch(config);
    const losses: number[] = [];
    for (const ropeTheta of [500, 10000]) {
      const shape = { ...config, ropeTheta };
      const trainer = await Gpt2Trainer.create({ shape, architecture: LLAMA_FOR_TRAINER, parameters: new Map([...params].map(([k, v]) => [k, v.slice()])), optimizer: BOOK_ADAMW, threads: 1 });
      try {
        const { loss } = await trainer.evaluate(batch);
        expect(Math.abs(loss - referenceLlamaLoss(shape, llamaParametersToFloat64(params), batch.inputs, batch.targets, BATCH, SEQ))).toBeLessThan(1e-5);
        losses.push(loss);
      } finally {
        await trainer.dispose();
      }
    }
    expect(Math.abs((losses[0] as number) - (losses[1] as number))).toBeGreaterThan(1e-3);
  });
});

const noWebGpu = await webgpuUnavailableReason();
describe.skipIf(noWebGpu !== undefined)(`Llama training graph gradients on WebGPU${noWebGpu ? ` (skipped: ${noWebGpu})` : ''}`, () => {
  const variant = VARIANTS[2] as Variant;
  it(`every parameter's gradient matches central finite differences for ${variant.label}`, async () => {
    await checkGradients(completeLlamaConfig({ ...TINY, ...variant.shape }), 'webgpu');
  });
});

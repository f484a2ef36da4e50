// The ONNX training graph's loss and gradients against a float64 TypeScript oracle: loss to 1e-5, and every
// parameter tensor's gradient against central finite differences of the float64 loss (h = 1e-5).
import { describe, expect, it } from 'vitest';
import { Gpt2Trainer } from '../../training/gpt2-trainer.js';
import { BOOK_ADAMW } from '../../training/adamw.js';
import { parameterSpecs, randomGpt2Parameters, type Gpt2Shape } from './gpt2-parameters.js';
import { referenceGpt2Loss, toFloat64 } from './gpt2-reference-loss.js';
import { webgpuUnavailableReason } from '../../training/training-test-support.js';

const TINY = { vocabSize: 64, contextLength: 16, embDim: 16, nLayers: 2, nHeads: 2 };
/** |onnx - fd| <= ABS + REL * max|fd| of the tensor. Measured worst error here is ~3e-7. */
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

export async function checkGradients(shape: Gpt2Shape, device: 'cpu' | 'webgpu'): Promise<{ worst: number; lossError: number }> {
  const params = randomGpt2Parameters(shape, 7, { perturb: true, std: 0.3 });
  const reference = toFloat64(params);
  const trainer = await Gpt2Trainer.create({ shape, parameters: params, optimizer: BOOK_ADAMW, device, threads: 1 });
  try {
    const batch = 2;
    const seq = 7;
    const inputs = Array.from({ length: batch * seq }, (_, i) => (i * 13 + 5) % shape.vocabSize);
    const targets = Array.from({ length: batch * seq }, (_, i) => (i % 5 === 4 ? -100 : (i * 7 + 3) % shape.vocabSize));
    const { loss, tokens } = await trainer.accumulateGradients({ inputs, targets, batch, seq });
    expect(tokens).toBe(targets.filter((t) => t !== -100).length);
    const expectedLoss = referenceGpt2Loss(shape, reference, inputs, targets, batch, seq);
    const lossError = Math.abs(loss - expectedLoss);
    expect(lossError).toBeLessThan(1e-5);
    let worst = 0;
    for (const spec of parameterSpecs(shape)) {
      const grad = trainer.gradients.get(spec.name) as Float32Array;
      const weights = reference.get(spec.name) as Float64Array;
      const indices = sampleIndices(weights.length, spec.name.length);
      // For the embedding, check the rows that the batch uses (the others must be exactly 0, checked below).
      if (spec.name === 'wte.weight') for (const id of inputs.slice(0, 6)) for (let c = 0; c < 4; c++) indices.push(id * shape.embDim + c);
      const fd: number[] = [];
      for (const i of indices) {
        const old = weights[i] as number;
        const h = 1e-5;
        weights[i] = old + h;
        const up = referenceGpt2Loss(shape, reference, inputs, targets, batch, seq);
        weights[i] = old - h;
        const down = referenceGpt2Loss(shape, reference, inputs, targets, batch, seq);
        weights[i] = old;
        fd.push((up - down) / (2 * h));
      }
      const scale = Math.max(...fd.map(Math.abs));
      indices.forEach((index, k) => {
        const error = Math.abs((grad[index] as number) - (fd[k] as number));
        worst = Math.max(worst, error);
        if (error > ABS_TOLERANCE + REL_TOLERANCE * scale) {
          throw new Error(`${spec.name}[${index}]: onnx ${grad[index]} vs finite difference ${fd[k]} (error ${error})`);
        }
      });
      expect(scale, `${spec.name} gradient should not be all zero`).toBeGreaterThan(0);
    }
    // Token rows never used and with an untied head get exactly zero gradient.
    if (!shape.tiedHead) {
      const used = new Set(inputs);
      const unused = Array.from({ length: shape.vocabSize }, (_, i) => i).find((i) => !used.has(i)) as number;
      const row = (trainer.gradients.get('wte.weight') as Float32Array).subarray(unused * shape.embDim, (unused + 1) * shape.embDim);
      expect(Array.from(row).every((v) => v === 0)).toBe(true);
    }
    return { worst, lossError };
  } finally {
    await trainer.dispose();
  }
}

const VARIANTS: Array<{ qkvBias: boolean; tiedHead: boolean }> = [
  { qkvBias: true, tiedHead: true },
  { qkvBias: false, tiedHead: true },
  { qkvBias: true, tiedHead: false },
  { qkvBias: false, tiedHead: false },
];

describe('GPT-2 training graph gradients (CPU, float32 vs float64 finite differences)', () => {
  for (const variant of VARIANTS) {
    it(`match for qkvBias=${variant.qkvBias}, tiedHead=${variant.tiedHead}`, async () => {
      const { worst } = await checkGradients({ ...TINY, ...variant }, 'cpu');
      expect(worst).toBeLessThan(ABS_TOLERANCE + REL_TOLERANCE);
    });
  }
});

const noWebGpu = await webgpuUnavailableReason();
describe.skipIf(noWebGpu !== undefined)(`GPT-2 training graph gradients on WebGPU${noWebGpu ? ` (skipped: ${noWebGpu})` : ''}`, () => {
  for (const variant of VARIANTS.filter((v) => v.qkvBias === v.tiedHead)) {
    it(`match for qkvBias=${variant.qkvBias}, tiedHead=${variant.tiedHead}`, async () => {
      await checkGradients({ ...TINY, ...variant }, 'webgpu');
    });
  }
});

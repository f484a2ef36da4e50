import { describe, expect, it } from 'vitest';
import { adamWReferenceStep, adamWScalars, BOOK_ADAMW, checkAdamWConfig, type AdamWConfig } from './adamw.js';
import { Gpt2Trainer, type TokenBatch } from './gpt2-trainer.js';
import { parameterSpecs, randomGpt2Parameters, type Gpt2Shape } from '../architectures/gpt2/gpt2-parameters.js';

const SHAPE: Gpt2Shape = { vocabSize: 64, contextLength: 16, embDim: 16, nLayers: 2, nHeads: 2, qkvBias: true, tiedHead: false };

function batchOf(seed: number): TokenBatch {
  const batch = 2;
  const seq = 6;
  const inputs = Array.from({ length: batch * seq }, (_, i) => (i * 11 + seed * 7) % 40);
  const targets = Array.from({ length: batch * seq }, (_, i) => (i === 5 ? -100 : (i * 5 + seed) % 40));
  return { inputs, targets, batch, seq };
}

describe('AdamW scalars', () => {
  it('are torch.optim.AdamW bias corrections', () => {
    const s = adamWScalars(BOOK_ADAMW, 1);
    expect(s.decay).toBeCloseTo(1 - 5e-5 * 0.1, 15);
    expect(s.stepSize).toBeCloseTo(5e-5 / 0.1, 15);
    expect(s.biasCorrection2Sqrt).toBeCloseTo(Math.sqrt(0.001), 15);
  });

  it('rejects out-of-range settings', () => {
    expect(() => checkAdamWConfig({ ...BOOK_ADAMW, beta1: 1 })).toThrow(/beta1/);
    expect(() => checkAdamWConfig({ ...BOOK_ADAMW, lr: 0 })).toThrow(/lr/);
  });
});

async function compareSteps(accumulate: number, optimizerOn: 'host' | 'graph'): Promise<void> {
  const config: AdamWConfig = { ...BOOK_ADAMW, lr: 1e-2 };
  const params = randomGpt2Parameters(SHAPE, 3, { perturb: true, std: 0.2 });
  const trainer = await Gpt2Trainer.create({ shape: SHAPE, parameters: params, optimizer: config, threads: 1, optimizerOn });
  const specs = parameterSpecs(SHAPE);
  const p64 = new Map(specs.map((s) => [s.name, Float64Array.from(params.get(s.name) as Float32Array)]));
  const m64 = new Map(specs.map((s) => [s.name, new Float64Array((params.get(s.name) as Float32Array).length)]));
  const v64 = new Map(specs.map((s) => [s.name, new Float64Array((params.get(s.name) as Float32Array).length)]));
  try {
    for (let step = 1; step <= 3; step++) {
      const grads = new Map(specs.map((s) => [s.name, new Float64Array((params.get(s.name) as Float32Array).length)]));
      for (let k = 0; k < accumulate; k++) {
        // Each micro-batch's gradient is measured on its own trainer state, then summed here independently.
        await trainer.accumulateGradients(batchOf(step * 10 + k));
      }
      for (const spec of specs) {
        const summed = trainer.gradients.get(spec.name) as Float32Array;
        const target = grads.get(spec.name) as Float64Array;
        for (let i = 0; i < target.length; i++) target[i] = (summed[i] as number) / accumulate;
      }
      // The float64 oracle starts each step from the float32 weights so only one step's rounding is compared.
      for (const spec of specs) (p64.get(spec.name) as Float64Array).set(params.get(spec.name) as Float32Array);
      await trainer.applyGradients();
      expect(trainer.step).toBe(step);
      for (const spec of specs) {
        const p = p64.get(spec.name) as Float64Array;
        adamWReferenceStep(config, step, p, grads.get(spec.name) as Float64Array, m64.get(spec.name) as Float64Array, v64.get(spec.name) as Float64Array);
        const live = trainer.parameters.get(spec.name) as Float32Array;
        let worst = 0;
        for (let i = 0; i < p.length; i++) worst = Math.max(worst, Math.abs((live[i] as number) - (p[i] as number)));
        expect(worst, `${spec.name} after step ${step}`).toBeLessThan(2e-6);
      }
    }
  } finally {
    await trainer.dispose();
  }
}

describe('AdamW (host pass and ONNX graph)', () => {
  for (const where of ['host', 'graph'] as const) {
    it(`${where}: matches a float64 torch-style AdamW over three steps`, async () => {
      await compareSteps(1, where);
    });

    it(`${where}: averages accumulated micro-batch gradients`, async () => {
      await compareSteps(3, where);
    });
  }

  it('decays every parameter, including unused rows, LayerNorm and biases', async () => {
    const params = randomGpt2Parameters(SHAPE, 5, { perturb: true });
    const before = new Map([...params].map(([k, v]) => [k, v.slice()]));
    const trainer = await Gpt2Trainer.create({ shape: SHAPE, parameters: params, optimizer: { ...BOOK_ADAMW, lr: 0.5 }, threads: 1 });
    await trainer.accumulateGradients(batchOf(1));
    await trainer.applyGradients();
    // Row 63 of the untied token embedding is never an input: zero gradient, so only the decay moves it.
    const row = 63 * SHAPE.embDim;
    const wteBefore = before.get('wte.weight') as Float32Array;
    const wteAfter = trainer.parameters.get('wte.weight') as Float32Array;
    for (let c = 0; c < SHAPE.embDim; c++) expect(wteAfter[row + c]).toBeCloseTo((wteBefore[row + c] as number) * (1 - 0.5 * 0.1), 7);
    await trainer.dispose();
  });
});

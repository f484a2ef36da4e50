// AdamW exactly as torch.optim.AdamW (decoupled weight decay on every parameter, bias-corrected moments), as a
// one-tensor ONNX graph that the trainer runs per parameter, plus the same update in float64 TypeScript for tests.
import { JudgekitError } from '@judgekit/core';
import { OnnxDataType, OnnxGraphBuilder } from '../onnx/graph-builder.js';

export interface AdamWConfig {
  /** Learning rate; the book's 5e-5. */
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled weight decay; the book's 0.1, applied to every parameter (it passes model.parameters()). */
  weightDecay: number;
}

export const BOOK_ADAMW: Readonly<AdamWConfig> = Object.freeze({ lr: 5e-5, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 });

export function checkAdamWConfig(config: AdamWConfig): void {
  const checks: Array<[keyof AdamWConfig, boolean]> = [
    ['lr', config.lr > 0],
    ['beta1', config.beta1 >= 0 && config.beta1 < 1],
    ['beta2', config.beta2 >= 0 && config.beta2 < 1],
    ['eps', config.eps > 0],
    ['weightDecay', config.weightDecay >= 0],
  ];
  for (const [key, ok] of checks) {
    if (typeof config[key] !== 'number' || !Number.isFinite(config[key]) || !ok) {
      throw new JudgekitError('config', `AdamW: \`${key}\` is ${String(config[key])}, which is out of range.`, { location: `optimizer.${key}` });
    }
  }
}

/** The per-step scalars, computed in float64 as PyTorch does on the host. `step` counts from 1. */
export interface AdamWScalars {
  /** 1 - lr * weight_decay */
  decay: number;
  /** lr / (1 - beta1^step) */
  stepSize: number;
  /** sqrt(1 - beta2^step) */
  biasCorrection2Sqrt: number;
}

export function adamWScalars(config: AdamWConfig, step: number): AdamWScalars {
  return {
    decay: 1 - config.lr * config.weightDecay,
    stepSize: config.lr / (1 - config.beta1 ** step),
    biasCorrection2Sqrt: Math.sqrt(1 - config.beta2 ** step),
  };
}

/**
 * Graph over one flattened tensor: inputs `param`, `grad`, `m`, `v` [n] and scalars `decay`, `step_size`,
 * `bc2_sqrt`, `grad_scale` (1/K for K accumulated micro-batches); outputs `param_out`, `m_out`, `v_out`.
 * Mirrors torch's single-tensor AdamW: p *= 1 - lr*wd; m.lerp_(g, 1-b1); v = v*b2 + (1-b2) g^2;
 * p -= step_size * m / (sqrt(v)/bc2_sqrt + eps).
 */
export function buildAdamWGraph(config: AdamWConfig): OnnxGraphBuilder {
  const g = new OnnxGraphBuilder('adamw');
  const param = g.input('param', OnnxDataType.FLOAT, ['n']);
  const rawGrad = g.input('grad', OnnxDataType.FLOAT, ['n']);
  const m = g.input('m', OnnxDataType.FLOAT, ['n']);
  const v = g.input('v', OnnxDataType.FLOAT, ['n']);
  const decay = g.input('decay', OnnxDataType.FLOAT, []);
  const stepSize = g.input('step_size', OnnxDataType.FLOAT, []);
  const bc2 = g.input('bc2_sqrt', OnnxDataType.FLOAT, []);
  const gradScale = g.input('grad_scale', OnnxDataType.FLOAT, []);
  const grad = g.mul(rawGrad, gradScale);
  const mOut = g.add(m, g.mul(g.sub(grad, m), g.float(1 - config.beta1)));
  const vOut = g.add(g.mul(v, g.float(config.beta2)), g.mul(g.mul(grad, grad), g.float(1 - config.beta2)));
  const denom = g.add(g.div(g.op('Sqrt', [vOut]), bc2), g.float(config.eps));
  const pOut = g.sub(g.mul(param, decay), g.mul(g.div(mOut, denom), stepSize));
  g.output(pOut, 'param_out', OnnxDataType.FLOAT, ['n']);
  g.output(mOut, 'm_out', OnnxDataType.FLOAT, ['n']);
  g.output(vOut, 'v_out', OnnxDataType.FLOAT, ['n']);
  return g;
}

/**
 * One AdamW step on float32 buffers, in place, in a single pass (each element's arithmetic in float64, stored as
 * float32). The trainer's default on the host: one read and one write of each buffer, no temporaries, where the
 * element-wise graph would stream gigabytes of intermediates for GPT-2 small.
 */
export function adamWStepInPlace(
  config: AdamWConfig,
  scalars: AdamWScalars,
  param: Float32Array,
  grad: Float32Array,
  m: Float32Array,
  v: Float32Array,
  gradScale = 1,
): void {
  const { decay, stepSize, biasCorrection2Sqrt } = scalars;
  const b1 = 1 - config.beta1;
  const b2 = config.beta2;
  const c2 = 1 - config.beta2;
  const eps = config.eps;
  for (let i = 0; i < param.length; i++) {
    const g = (grad[i] as number) * gradScale;
    const mOld = m[i] as number;
    const mi = mOld + (g - mOld) * b1;
    const vi = (v[i] as number) * b2 + g * g * c2;
    m[i] = mi;
    v[i] = vi;
    param[i] = (param[i] as number) * decay - stepSize * (mi / (Math.sqrt(vi) / biasCorrection2Sqrt + eps));
  }
}

/** The same update in float64, in place (test oracle). */
export function adamWReferenceStep(
  config: AdamWConfig,
  step: number,
  param: Float64Array,
  grad: ArrayLike<number>,
  m: Float64Array,
  v: Float64Array,
): void {
  const { decay, stepSize, biasCorrection2Sqrt } = adamWScalars(config, step);
  for (let i = 0; i < param.length; i++) {
    const gi = grad[i] as number;
    const mi = (m[i] as number) + (gi - (m[i] as number)) * (1 - config.beta1);
    const vi = (v[i] as number) * config.beta2 + gi * gi * (1 - config.beta2);
    m[i] = mi;
    v[i] = vi;
    param[i] = (param[i] as number) * decay - stepSize * (mi / (Math.sqrt(vi) / biasCorrection2Sqrt + config.eps));
  }
}

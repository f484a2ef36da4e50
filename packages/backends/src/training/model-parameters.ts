// A model's trainable parameters as the trainer holds them, whatever the architecture: float32 buffers by canonical
// name, in the order of the architecture's parameter specs.
import { JudgekitError } from '@judgekit/core';
import type { ParameterSpec } from '../architectures/architecture.js';

export type { ParameterSpec };

/** Parameters by canonical name, float32, row-major. */
export type ModelParameters = Map<string, Float32Array>;

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Throw unless `params` holds every parameter of `specs` with the right size. */
export function assertParameters(specs: readonly ParameterSpec[], params: ReadonlyMap<string, Float32Array>): void {
  for (const spec of specs) {
    const value = params.get(spec.name);
    if (!value) throw new JudgekitError('model', `Missing parameter ${spec.name} (shape [${spec.shape.join(', ')}]).`);
    if (value.length !== elementCount(spec.shape)) {
      throw new JudgekitError('model', `Parameter ${spec.name} has ${value.length} values, expected [${spec.shape.join(', ')}].`);
    }
  }
}

/** Deep copy (the early-stopping snapshot must never alias live buffers). */
export function cloneParameters(params: ModelParameters): ModelParameters {
  return new Map([...params].map(([name, value]) => [name, value.slice()]));
}

/**
 * Seeded random parameters in the usual initialisation: normal(0, std) matrices and embeddings, norm weights
 * (`isNormWeight`) 1 and other vectors 0, plus a normal(0, 0.1) offset on every vector when `perturb` is set so tests
 * exercise every term. The same seed gives the same values for every family.
 */
export function seededParameters(
  specs: readonly ParameterSpec[],
  seed: number,
  options: { perturb?: boolean; std?: number; isNormWeight: (name: string) => boolean },
): ModelParameters {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const normal = (): number => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const std = options.std ?? 0.02;
  const params: ModelParameters = new Map();
  for (const spec of specs) {
    const data = new Float32Array(elementCount(spec.shape));
    const isNorm = options.isNormWeight(spec.name);
    const isVector = spec.shape.length === 1;
    for (let i = 0; i < data.length; i++) {
      if (!isVector) data[i] = normal() * std;
      else data[i] = (isNorm ? 1 : 0) + (options.perturb ? normal() * 0.1 : 0);
    }
    params.set(spec.name, data);
  }
  return params;
}

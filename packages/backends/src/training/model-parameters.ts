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

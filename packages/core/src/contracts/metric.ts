// A metric turns a model into a number with the protocol that produced it written beside it.
import type { Contribution } from './contribution.js';
import type { ModelSpec } from './model-backend.js';

export interface MetricResult {
  metric: string;
  value: number;
  /** How the value was computed, so two numbers are only compared under the same protocol. */
  protocol: Record<string, unknown>;
  details?: Record<string, unknown>;
}

export const Metric = Symbol.for('@judgekit/core/Metric');
export interface Metric extends Contribution {
  evaluate(model: ModelSpec, options?: Record<string, unknown>): Promise<MetricResult>;
}

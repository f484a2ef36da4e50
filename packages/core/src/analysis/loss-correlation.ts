// Does a lower test loss go with a higher judge score? Correlations over models, with CIs from resampling
// models. With a handful of models the CI is wide (and often undefined in many resamples): the report says so.
import { bootstrapCI, type BootstrapOptions } from './bootstrap.js';
import { pearson, spearman } from './correlation.js';

export interface LossCorrelation {
  judge: string;
  models: number;
  pearson: number;
  pearsonCi95: [number, number];
  spearman: number;
  spearmanCi95: [number, number];
  /** A sentence for the report when the CI should not be trusted. */
  caveat?: string;
}

/** Below this many models a bootstrap over models has too few distinct resamples to mean anything. */
const MIN_MODELS_FOR_CI = 5;

/** `losses[m]` and `scores[m]` per model (NaN = missing; those models are left out). */
export function lossScoreCorrelation(judge: string, losses: readonly number[], scores: readonly number[], options: BootstrapOptions = {}): LossCorrelation {
  const x: number[] = [];
  const y: number[] = [];
  losses.forEach((l, m) => {
    const s = scores[m] as number;
    if (Number.isFinite(l) && Number.isFinite(s)) {
      x.push(l);
      y.push(s);
    }
  });
  const n = x.length;
  const resampled = (stat: (a: number[], b: number[]) => number, seed: string): [number, number] =>
    n < MIN_MODELS_FOR_CI
      ? [Number.NaN, Number.NaN]
      : bootstrapCI(
          n,
          (indices) => {
            const a: number[] = [];
            const b: number[] = [];
            for (const i of indices) {
              a.push(x[i] as number);
              b.push(y[i] as number);
            }
            return stat(a, b);
          },
          { ...options, seed: `${String(options.seed ?? 'loss')}/${judge}/${seed}` },
        );
  const caveat =
    n < 3
      ? `Only ${n} model(s) with both a loss and a score: no correlation can be estimated.`
      : n < MIN_MODELS_FOR_CI
        ? `Only ${n} models: too few to resample, so no CI; the correlation itself is fragile.`
        : n < 10
        ? `Only ${n} models: the bootstrap over models is coarse and its CI wide; treat the sign, not the value.`
        : undefined;
  return {
    judge,
    models: n,
    pearson: pearson(x, y),
    pearsonCi95: resampled(pearson, 'pearson'),
    spearman: spearman(x, y),
    spearmanCi95: resampled(spearman, 'spearman'),
    ...(caveat ? { caveat } : {}),
  };
}

// Length bias: do longer answers get higher scores? Correlation over (item, model) cells, and a length-controlled
// score per model from score ~ item + model + beta * (log length - mean log length) (fixed effects, within estimator).
import { bootstrapCI, quantile, type BootstrapOptions } from './bootstrap.js';
import { seededRandom } from '../util/seeded-random.js';
import { pearson, pearsonFisherCI, spearman } from './correlation.js';
import { itemModelMeans, type JudgeScores } from './judge-scores.js';
import { fitAdditiveEffects } from './position-bias.js';

export type LengthUnit = 'characters' | 'words';

export function answerLength(text: string, unit: LengthUnit = 'words'): number {
  if (unit === 'characters') return [...text].length;
  const trimmed = text.trim();
  return trimmed === '' ? 0 : trimmed.split(/\s+/u).length;
}

export interface LengthBias {
  judge: string;
  unit: LengthUnit;
  cells: number;
  pearson: number;
  pearsonCi95: [number, number];
  spearman: number;
  /** Points per unit of log(1 + length), within items and models; NaN where not identified (e.g. one model). */
  slopePerLogLength: number;
  /** Bootstrap over items. */
  slopeCi95: [number, number];
  /** Each model's score at the mean log length of all answers, with a bootstrap CI over items (slope refitted each draw). */
  controlled: Array<{ model: string; raw: number; atMeanLength: number; ci95: [number, number]; meanLength: number }>;
  /** True when the models' order by `atMeanLength` differs from their order by `raw`. */
  rankingChanged: boolean;
  /** The points behind the scatter plot: [length, score, model index]. */
  points: Array<[number, number, number]>;
}

/**
 * `responses[model][item]` in the judge's model/item order. Cell scores are means over repeats.
 */
export function lengthBias(judge: JudgeScores, responses: readonly (readonly string[])[], unit: LengthUnit = 'words', options: BootstrapOptions = {}): LengthBias {
  const cells = itemModelMeans(judge);
  const lengths: number[] = [];
  const scores: number[] = [];
  const models: number[] = [];
  const items: number[] = [];
  const points: Array<[number, number, number]> = [];
  judge.items.forEach((_, i) => {
    judge.models.forEach((_, m) => {
      const y = (cells[i] as number[])[m] as number;
      const text = (responses[m] as readonly string[] | undefined)?.[i];
      if (Number.isNaN(y) || text === undefined) return;
      const length = answerLength(text, unit);
      lengths.push(length);
      scores.push(y);
      models.push(m);
      items.push(i);
      points.push([length, y, m]);
    });
  });
  const r = pearson(lengths, scores);
  const logs = lengths.map((l) => Math.log1p(l));
  const M = judge.models.length;
  const sumLog = new Float64Array(M);
  const sumY = new Float64Array(M);
  const count = new Float64Array(M);
  const sumLength = new Float64Array(M);
  logs.forEach((l, k) => {
    const m = models[k] as number;
    sumLog[m]! += l;
    sumY[m]! += scores[k] as number;
    sumLength[m]! += lengths[k] as number;
    count[m]! += 1;
  });
  // Item effects as well as model effects: an item's difficulty is shared by every model's answer, and without
  // it the slope would pick up whatever item difficulty happens to go with length.
  const slope = withinSlope(logs, scores, items, models, judge.items.length, M);
  const byItem: number[][] = judge.items.map(() => []);
  items.forEach((i, k) => (byItem[i] as number[]).push(k));
  const slopeCi95 = bootstrapCI(
    judge.items.length,
    (chosen) => {
      const x: number[] = [];
      const y: number[] = [];
      const it: number[] = [];
      const mo: number[] = [];
      chosen.forEach((i, n) => {
        for (const k of byItem[i] as number[]) {
          x.push(logs[k] as number);
          y.push(scores[k] as number);
          it.push(n);
          mo.push(models[k] as number);
        }
      });
      return withinSlope(x, y, it, mo, chosen.length, M);
    },
    // Each resample refits two additive models; 1000 draws are plenty for a 95% percentile interval.
    { ...options, resamples: Math.min(options.resamples ?? 1000, 1000), seed: `${String(options.seed ?? 'length')}/${judge.judge}` },
  );
  const meanLog = logs.length === 0 ? 0 : logs.reduce((s, v) => s + v, 0) / logs.length;
  const controlledCi95 = controlledScoreIntervals({ logs, scores, items, models, byItem, itemCount: judge.items.length, modelCount: M }, { ...options, resamples: Math.min(options.resamples ?? 1000, 500), seed: `${String(options.seed ?? 'length-controlled')}/${judge.judge}` });
  const controlled = judge.models.map((model, m) => {
    const n = count[m] as number;
    if (n === 0) return { model, raw: Number.NaN, atMeanLength: Number.NaN, ci95: [Number.NaN, Number.NaN] as [number, number], meanLength: Number.NaN };
    const raw = (sumY[m] as number) / n;
    return { model, raw, atMeanLength: raw - slope * ((sumLog[m] as number) / n - meanLog), ci95: controlledCi95[m] as [number, number], meanLength: (sumLength[m] as number) / n };
  });
  // A slope that is not identified (NaN) controls nothing, so it changes no ranking.
  const rankingChanged = Number.isFinite(slope) && rankOrder(controlled.map((c) => c.raw)).join() !== rankOrder(controlled.map((c) => c.atMeanLength)).join();
  return { judge: judge.judge, unit, cells: lengths.length, pearson: r, pearsonCi95: pearsonFisherCI(r, lengths.length), spearman: spearman(lengths, scores), slopePerLogLength: slope, slopeCi95, controlled, rankingChanged, points };
}

/** Model indices from best to worst (NaN last). */
function rankOrder(values: readonly number[]): number[] {
  return values.map((v, m) => [v, m] as const).sort((a, b) => (Number.isNaN(a[0]) ? 1 : Number.isNaN(b[0]) ? -1 : b[0] - a[0] || a[1] - b[1])).map(([, m]) => m);
}

interface LengthCells {
  logs: readonly number[];
  scores: readonly number[];
  items: readonly number[];
  models: readonly number[];
  byItem: readonly (readonly number[])[];
  itemCount: number;
  modelCount: number;
}

/** Percentile-bootstrap CIs over items of each model's length-controlled score, refitting the within slope every draw. */
function controlledScoreIntervals(cells: LengthCells, options: BootstrapOptions): Array<[number, number]> {
  const { itemCount, modelCount } = cells;
  const draws: number[][] = Array.from({ length: modelCount }, () => []);
  if (itemCount === 0) return draws.map(() => [Number.NaN, Number.NaN]);
  const random = seededRandom(options.seed ?? 'length-controlled');
  const resamples = options.resamples ?? 500;
  for (let r = 0; r < resamples; r++) {
    const x: number[] = [];
    const y: number[] = [];
    const it: number[] = [];
    const mo: number[] = [];
    for (let n = 0; n < itemCount; n++) {
      const i = Math.floor(random() * itemCount);
      for (const k of cells.byItem[i] as readonly number[]) {
        x.push(cells.logs[k] as number);
        y.push(cells.scores[k] as number);
        it.push(n);
        mo.push(cells.models[k] as number);
      }
    }
    const slope = withinSlope(x, y, it, mo, itemCount, modelCount);
    if (Number.isNaN(slope)) continue; // not identified in this draw (e.g. one model): no controlled score from it
    const meanLog = x.length === 0 ? 0 : x.reduce((s, v) => s + v, 0) / x.length;
    for (let m = 0; m < modelCount; m++) {
      let sumY = 0;
      let sumLog = 0;
      let n = 0;
      for (let k = 0; k < x.length; k++) {
        if (mo[k] !== m) continue;
        sumY += y[k] as number;
        sumLog += x[k] as number;
        n++;
      }
      if (n > 0) (draws[m] as number[]).push(sumY / n - slope * (sumLog / n - meanLog));
    }
  }
  const level = options.level ?? 0.95;
  return draws.map((values) => {
    const sorted = values.sort((a, b) => a - b);
    return sorted.length === 0 ? [Number.NaN, Number.NaN] : [quantile(sorted, (1 - level) / 2), quantile(sorted, 1 - (1 - level) / 2)];
  });
}

/** Slope of y on x after removing item and model effects from both (Frisch-Waugh-Lovell). */
function withinSlope(x: readonly number[], y: readonly number[], items: readonly number[], models: readonly number[], itemCount: number, modelCount: number): number {
  const n = x.length;
  // Not identified (NaN, shown as n/a), not 0: with one answer per item (one model) the item effects absorb all length.
  if (n < 2) return Number.NaN;
  const residuals = (values: readonly number[]): Float64Array => {
    const obs = { y: Float64Array.from(values), group: Int32Array.from(items), model: Int32Array.from(models), slot: new Int32Array(n), groups: itemCount, models: modelCount, slots: 1 };
    const fit = fitAdditiveEffects(obs, n, 1e-8);
    // Rebuild group effects: the fit returns centred model/slot effects and a grand mean; recover each item's
    // effect as the mean residual of its observations after the model effect.
    const sums = new Float64Array(itemCount);
    const counts = new Float64Array(itemCount);
    for (let k = 0; k < n; k++) {
      sums[items[k] as number]! += (values[k] as number) - (fit.model[models[k] as number] as number);
      counts[items[k] as number]! += 1;
    }
    const out = new Float64Array(n);
    for (let k = 0; k < n; k++) out[k] = (values[k] as number) - (fit.model[models[k] as number] as number) - (sums[items[k] as number] as number) / (counts[items[k] as number] as number);
    return out;
  };
  const rx = residuals(x);
  const ry = residuals(y);
  let sxy = 0;
  let sxx = 0;
  for (let k = 0; k < n; k++) {
    sxy += (rx[k] as number) * (ry[k] as number);
    sxx += (rx[k] as number) ** 2;
  }
  return sxx < 1e-12 ? Number.NaN : sxy / sxx;
}

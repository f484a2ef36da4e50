// Length bias: do longer answers get higher scores? Correlation over (item, model) cells, and a length-controlled
// score per model from score ~ model + beta * (log length - mean log length) (model fixed effects, within estimator).
import { pearson, pearsonFisherCI, spearman } from './correlation.js';
import { itemModelMeans, type JudgeScores } from './judge-scores.js';

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
  /** Points per unit of log(1 + length), within models. */
  slopePerLogLength: number;
  /** Each model's score at the mean log length of all answers. */
  controlled: Array<{ model: string; raw: number; atMeanLength: number; meanLength: number }>;
  /** The points behind the scatter plot: [length, score, model index]. */
  points: Array<[number, number, number]>;
}

/**
 * `responses[model][item]` in the judge's model/item order. Cell scores are means over repeats.
 */
export function lengthBias(judge: JudgeScores, responses: readonly (readonly string[])[], unit: LengthUnit = 'words'): LengthBias {
  const cells = itemModelMeans(judge);
  const lengths: number[] = [];
  const scores: number[] = [];
  const models: number[] = [];
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
  let sxy = 0;
  let sxx = 0;
  logs.forEach((l, k) => {
    const m = models[k] as number;
    const dx = l - (sumLog[m] as number) / (count[m] as number);
    const dy = (scores[k] as number) - (sumY[m] as number) / (count[m] as number);
    sxy += dx * dy;
    sxx += dx * dx;
  });
  const slope = sxx === 0 ? 0 : sxy / sxx;
  const meanLog = logs.length === 0 ? 0 : logs.reduce((s, v) => s + v, 0) / logs.length;
  const controlled = judge.models.map((model, m) => {
    const n = count[m] as number;
    if (n === 0) return { model, raw: Number.NaN, atMeanLength: Number.NaN, meanLength: Number.NaN };
    const raw = (sumY[m] as number) / n;
    return { model, raw, atMeanLength: raw - slope * ((sumLog[m] as number) / n - meanLog), meanLength: (sumLength[m] as number) / n };
  });
  return { judge: judge.judge, unit, cells: lengths.length, pearson: r, pearsonCi95: pearsonFisherCI(r, lengths.length), spearman: spearman(lengths, scores), slopePerLogLength: slope, controlled, points };
}

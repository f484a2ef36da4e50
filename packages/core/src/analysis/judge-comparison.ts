// Two judges (typically single vs batched) on the same items: do they rank the models alike, how far does each
// model's score move, and what did each cost.
import type { BootstrapOptions } from './bootstrap.js';
import { kendallTauB } from './correlation.js';
import { itemModelMeans, type JudgeScores } from './judge-scores.js';
import { overallModelMeans } from './judge-reliability.js';
import { meanWithCI } from './model-scores.js';
import { costUsd, type ModelPrice } from '../protocol/judging/price-table.js';

export interface ScoreShift {
  model: string;
  a: number;
  b: number;
  /** Mean over items scored by both of (b - a), with a paired bootstrap CI. */
  shift: number;
  ci95: [number, number];
}

export interface JudgeComparison {
  a: string;
  b: string;
  /** Kendall tau-b between the two judges' model means. */
  rankTauB: number;
  shifts: ScoreShift[];
}

export function compareJudges(a: JudgeScores, b: JudgeScores, options: BootstrapOptions = {}): JudgeComparison {
  const meansA = overallModelMeans(a);
  const bIndex = new Map(b.models.map((m, i) => [m, i]));
  const bItems = new Map(b.items.map((it, i) => [it, i]));
  const cellsA = itemModelMeans(a);
  const cellsB = itemModelMeans(b);
  const meansBAll = overallModelMeans(b);
  const shared = a.models.map((model, m) => ({ model, m, mb: bIndex.get(model) })).filter((x): x is { model: string; m: number; mb: number } => x.mb !== undefined);
  const shifts = shared.map(({ model, m, mb }) => {
    const diffs: number[] = [];
    a.items.forEach((item, i) => {
      const ib = bItems.get(item);
      if (ib === undefined) return;
      diffs.push(((cellsB[ib] as number[])[mb] as number) - ((cellsA[i] as number[])[m] as number));
    });
    const { mean, ci95 } = meanWithCI(diffs, { ...options, seed: `${String(options.seed ?? 'shift')}/${model}` });
    return { model, a: meansA[m] as number, b: meansBAll[mb] as number, shift: mean, ci95 };
  });
  return {
    a: a.judge,
    b: b.judge,
    rankTauB: kendallTauB(
      shifts.map((s) => s.a),
      shifts.map((s) => s.b),
    ),
    shifts,
  };
}

export interface JudgeUsage {
  judge: string;
  mode: string;
  records: number;
  calls: number;
  cachedCalls: number;
  attempts: number;
  promptTokens: number;
  completionTokens: number;
  /** USD for the network calls, when a price was given. */
  cost?: number;
}

export function judgeUsage(judge: JudgeScores, pricing?: ModelPrice): JudgeUsage {
  const u = judge.usage;
  return {
    judge: judge.judge,
    mode: judge.mode,
    ...u,
    ...(pricing ? { cost: costUsd({ prompt: u.promptTokens, completion: u.completionTokens }, pricing) } : {}),
  };
}

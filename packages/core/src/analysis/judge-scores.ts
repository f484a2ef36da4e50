// Turns a run's judgment records into dense score arrays per judge: `scores[repeat][item][model]`, NaN where
// there is no usable score. Every statistic in this folder reads this shape.
import type { JudgeMode } from '../contracts/judge.js';
import type { JudgmentRecord } from '../run/run-directory.js';
import { mean } from './bootstrap.js';

export type FailureAggregate = 'drop-failed' | 'failed-as-zero';

export interface JudgeScores {
  judge: string;
  mode: JudgeMode;
  provider: string;
  model: string;
  /** Model names, the column order of every array below. */
  models: string[];
  /** Test-split item indices, the row order. */
  items: number[];
  /** Repeat numbers present, ascending. */
  repeats: number[];
  /** `scores[r][i][m]`; NaN = not judged or failed (or 0 for a failure under `failed-as-zero`). */
  scores: number[][][];
  /** `positions[r][i][m]`: 1-based slot the answer was shown in, 0 when unknown. */
  positions: number[][][];
  /** `comments[r][i][m]`, '' when none. */
  comments: string[][][];
  /** Per model: observations with a score and failures (judged but no usable score). */
  scored: number[];
  failed: number[];
  /** Totals over this judge's records. */
  usage: { records: number; calls: number; cachedCalls: number; attempts: number; promptTokens: number; completionTokens: number };
}

export interface JudgeScoresOptions {
  aggregate?: FailureAggregate;
}

/** Group `judgments` by judge name (first-seen order) into dense arrays over `models` x `items`. */
export function collectJudgeScores(
  judgments: readonly JudgmentRecord[],
  models: readonly string[],
  items: readonly number[],
  options: JudgeScoresOptions | ((judge: string) => JudgeScoresOptions) = {},
): JudgeScores[] {
  const byJudge = new Map<string, JudgmentRecord[]>();
  for (const record of judgments) {
    const list = byJudge.get(record.judge) ?? [];
    list.push(record);
    byJudge.set(record.judge, list);
  }
  const modelIndex = new Map(models.map((m, i) => [m, i]));
  const itemIndex = new Map(items.map((it, i) => [it, i]));
  const out: JudgeScores[] = [];
  for (const [judge, records] of byJudge) {
    const aggregate = (typeof options === 'function' ? options(judge) : options).aggregate ?? 'drop-failed';
    const repeats = [...new Set(records.map((r) => r.repeat))].sort((a, b) => a - b);
    const repeatIndex = new Map(repeats.map((r, i) => [r, i]));
    const grid = <T>(fill: T): T[][][] => repeats.map(() => items.map(() => models.map(() => fill)));
    const scores = grid(Number.NaN);
    const positions = grid(0);
    const comments = grid('');
    const scored = models.map(() => 0);
    const failed = models.map(() => 0);
    const usage = { records: 0, calls: 0, cachedCalls: 0, attempts: 0, promptTokens: 0, completionTokens: 0 };
    const first = records[0] as JudgmentRecord;
    for (const record of records) {
      usage.records++;
      usage.calls += record.calls;
      usage.cachedCalls += record.cachedCalls;
      usage.attempts += record.attempts;
      usage.promptTokens += record.tokenUsage.prompt;
      usage.completionTokens += record.tokenUsage.completion;
      const r = repeatIndex.get(record.repeat) as number;
      const i = itemIndex.get(record.index);
      if (i === undefined) continue;
      for (const s of record.scores) {
        const m = modelIndex.get(s.model);
        if (m === undefined) continue;
        const cell = (scores[r] as number[][])[i] as number[];
        if (s.score === null || !Number.isFinite(s.score)) {
          failed[m] = (failed[m] as number) + 1;
          cell[m] = aggregate === 'failed-as-zero' ? 0 : Number.NaN;
        } else {
          scored[m] = (scored[m] as number) + 1;
          cell[m] = s.score;
        }
        ((positions[r] as number[][])[i] as number[])[m] = s.position ?? 0;
        ((comments[r] as string[][])[i] as string[])[m] = s.comments ?? s.failure ?? '';
      }
    }
    out.push({ judge, mode: first.mode, provider: first.provider, model: first.model, models: [...models], items: [...items], repeats, scores, positions, comments, scored, failed, usage });
  }
  return out;
}

/** `[item][model]`: each cell's mean over repeats that scored it (NaN when none did). */
export function itemModelMeans(judge: JudgeScores): number[][] {
  return judge.items.map((_, i) =>
    judge.models.map((_, m) => {
      const values: number[] = [];
      for (const repeat of judge.scores) {
        const v = (repeat[i] as number[])[m] as number;
        if (!Number.isNaN(v)) values.push(v);
      }
      return values.length === 0 ? Number.NaN : mean(values);
    }),
  );
}

/** Mean of the finite values, NaN when none. */
export function finiteMean(values: Iterable<number>): number {
  let sum = 0;
  let n = 0;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    sum += v;
    n++;
  }
  return n === 0 ? Number.NaN : sum / n;
}

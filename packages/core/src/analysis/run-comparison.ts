// Two runs side by side (`judgekit report <run-a> --compare <run-b>`): for every judge and model both runs have,
// the score difference on the items both judged, with a paired bootstrap CI over those items, and the items whose
// score moved most or whose answer text changed. Items are matched by index and must have the same instruction
// and input; the ones that do not are counted, not compared.
import type { BootstrapOptions } from './bootstrap.js';
import { collectJudgeScores, itemModelMeans } from './judge-scores.js';
import { meanWithCI } from './model-scores.js';
import type { RunData } from './run-analysis.js';

export interface RunComparisonOptions {
  bootstrap?: BootstrapOptions;
  /** An item is listed as changed when its score moved by at least this many points (default 15) or its answer changed. */
  threshold?: number;
  /** At most this many changed items per judge (largest moves first; default 50). */
  maxItems?: number;
}

export interface ModelScoreShift {
  model: string;
  /** Items both runs scored for this model. */
  items: number;
  a: number;
  b: number;
  /** Mean over common items of (a − b): this run minus the compared one. */
  difference: number;
  ci95: [number, number];
  /** The 95% CI excludes 0. */
  significant: boolean;
  /** Common items whose answer text differs between the runs. */
  answersChanged: number;
}

export interface ChangedItem {
  index: number;
  model: string;
  instruction: string;
  a: number;
  b: number;
  /** a − b; NaN when only one run scored it. */
  difference: number;
  answerChanged: boolean;
}

export interface JudgeRunComparison {
  judge: string;
  models: ModelScoreShift[];
  /** Largest |a − b| first; items with a changed answer but a small move come after. */
  changed: ChangedItem[];
  /** How many (item, model) pairs qualified before `maxItems` cut the list. */
  changedTotal: number;
}

export interface RunComparison {
  /** Judges in only one of the runs. */
  onlyA: { judges: string[]; models: string[] };
  onlyB: { judges: string[]; models: string[] };
  /** Items of both runs matched by index with the same instruction and input. */
  commonItems: number;
  /** Same index, different instruction or input: not compared. */
  mismatchedItems: number[];
  judges: JudgeRunComparison[];
  threshold: number;
}

export function compareRuns(a: RunData, b: RunData, options: RunComparisonOptions = {}): RunComparison {
  const threshold = options.threshold ?? 15;
  const maxItems = options.maxItems ?? 50;
  const modelsA = a.items.models.map((m) => m.name);
  const modelsB = b.items.models.map((m) => m.name);
  const models = modelsA.filter((m) => modelsB.includes(m));
  const byIndexB = new Map(b.items.items.map((item, k) => [item.index, k]));
  const pairs: Array<[number, number]> = [];
  const mismatchedItems: number[] = [];
  a.items.items.forEach((item, k) => {
    const other = byIndexB.get(item.index);
    if (other === undefined) return;
    const o = b.items.items[other] as RunData['items']['items'][number];
    if (o.instruction === item.instruction && o.input === item.input) pairs.push([k, other]);
    else mismatchedItems.push(item.index);
  });
  const indices = pairs.map(([k]) => (a.items.items[k] as { index: number }).index);
  const scoresA = collectJudgeScores(a.judgments, models, indices);
  const scoresB = new Map(collectJudgeScores(b.judgments, models, indices).map((j) => [j.judge, j]));
  const answer = (run: RunData, model: string, k: number): string | undefined => run.items.models.find((m) => m.name === model)?.responses[k];
  const judges = scoresA
    .filter((j) => scoresB.has(j.judge))
    .map((ja): JudgeRunComparison => {
      const jb = scoresB.get(ja.judge) as (typeof scoresA)[number];
      const cellsA = itemModelMeans(ja);
      const cellsB = itemModelMeans(jb);
      const changed: ChangedItem[] = [];
      const shifts = models.map((model, m): ModelScoreShift => {
        const diffs: number[] = [];
        const kept: Array<[number, number]> = [];
        let answersChanged = 0;
        pairs.forEach(([ka, kb], i) => {
          const x = (cellsA[i] as number[])[m] as number;
          const y = (cellsB[i] as number[])[m] as number;
          const answerChanged = answer(a, model, ka) !== answer(b, model, kb);
          if (answerChanged) answersChanged++;
          const difference = x - y;
          if (!Number.isNaN(difference)) {
            diffs.push(difference);
            kept.push([x, y]);
          }
          if ((!Number.isNaN(difference) && Math.abs(difference) >= threshold) || answerChanged || Number.isNaN(x) !== Number.isNaN(y)) {
            const item = a.items.items[ka] as RunData['items']['items'][number];
            changed.push({ index: item.index, model, instruction: item.instruction, a: x, b: y, difference, answerChanged });
          }
        });
        const { mean, ci95, n } = meanWithCI(diffs, { ...options.bootstrap, seed: `${String(options.bootstrap?.seed ?? 'compare')}/${ja.judge}/${model}` });
        const avg = (side: 0 | 1): number => (kept.length === 0 ? Number.NaN : kept.reduce((s, p) => s + p[side], 0) / kept.length);
        return { model, items: n, a: avg(0), b: avg(1), difference: mean, ci95, significant: Number.isFinite(ci95[0]) && (ci95[0] > 0 || ci95[1] < 0), answersChanged };
      });
      const size = (c: ChangedItem): number => (Number.isNaN(c.difference) ? Number.POSITIVE_INFINITY : Math.abs(c.difference));
      changed.sort((p, q) => size(q) - size(p) || p.index - q.index);
      return { judge: ja.judge, models: shifts, changed: changed.slice(0, maxItems), changedTotal: changed.length };
    });
  const judgesA = [...new Set(a.judgments.map((r) => r.judge))];
  const judgesB = [...new Set(b.judgments.map((r) => r.judge))];
  return {
    onlyA: { judges: judgesA.filter((j) => !judgesB.includes(j)), models: modelsA.filter((m) => !modelsB.includes(m)) },
    onlyB: { judges: judgesB.filter((j) => !judgesA.includes(j)), models: modelsB.filter((m) => !modelsA.includes(m)) },
    commonItems: pairs.length,
    mismatchedItems,
    judges,
    threshold,
  };
}

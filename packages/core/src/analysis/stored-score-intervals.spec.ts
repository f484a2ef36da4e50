import { describe, expect, it } from 'vitest';
import type { JudgmentRecord, RunItems, RunResults } from '../run/run-directory.js';
import { scoreGrid, summarizeModel } from '../protocol/judging/judge-results.js';
import { analyzeRun } from './run-analysis.js';

const MODELS = ['big', 'tiny'];
const ITEMS = 12;
const items: RunItems = {
  items: Array.from({ length: ITEMS }, (_, index) => ({ index, instruction: `Task ${index}`, input: '', output: 'x', prompt: 'p' })),
  models: MODELS.map((name) => ({ name, responses: Array.from({ length: ITEMS }, () => 'answer') })),
};
const judgments: JudgmentRecord[] = Array.from({ length: ITEMS }, (_, index) => ({
  judge: 'single',
  mode: 'single',
  provider: 'p',
  model: 'm',
  index,
  repeat: 0,
  scores: [
    { model: 'big', score: 40 + ((index * 17) % 50) },
    { model: 'tiny', score: 10 + ((index * 29) % 40) },
  ],
  calls: 2,
  cachedCalls: 0,
  tokenUsage: { prompt: 1, completion: 1 },
  attempts: 1,
}));

/** results.json as the judge stage writes it: each model's summary under the judge's own seed (123). */
function judgeStageResults(): RunResults {
  const grid = scoreGrid(judgments, MODELS, ITEMS, 1);
  const rows = MODELS.map((name, m) => ({ name, ...summarizeModel(grid[m]!, 'drop-failed', 123) }));
  return {
    models: rows.map((row) => ({ ...row, judges: { single: { score: row.score, ci95: row.ci95, scored: row.scored, failed: row.failed } } })),
    judges: [{ name: 'single', mode: 'single', provider: 'p', model: 'm', aggregate: 'drop-failed', repeats: 1 }],
    items: ITEMS,
  };
}

describe('score CIs in the analysis', () => {
  it("are the judge stage's stored intervals, not a second bootstrap under the report's seed", () => {
    const results = judgeStageResults();
    const analysis = analyzeRun({ items, judgments, results }, { bootstrap: { seed: 20240601, resamples: 2000 } });
    const summaries = analysis.judges[0]!.summaries;
    expect(summaries.map((s) => s.ci95)).toEqual(results.models.map((m) => m.ci95));
    expect(summaries.map((s) => s.ciSource)).toEqual(['results.json', 'results.json']);
    expect(analysis.warnings).toEqual([]);
    // Without results.json the report bootstraps on its own, and (another seed) lands on another interval: the
    // disagreement the stored interval removes.
    const recomputed = analyzeRun({ items, judgments }, { bootstrap: { seed: 20240601, resamples: 2000 } }).judges[0]!.summaries;
    expect(recomputed.map((s) => s.ci95)).not.toEqual(results.models.map((m) => m.ci95));
  });

  it('are recomputed, with a warning naming the file, model and judge, when results.json no longer matches the judgments', () => {
    const results = judgeStageResults();
    results.models[1]!.judges!.single!.score = 99;
    const analysis = analyzeRun({ items, judgments, results }, { bootstrap: { resamples: 200 } });
    const [big, tiny] = analysis.judges[0]!.summaries;
    expect(big!.ci95).toEqual(results.models[0]!.ci95);
    expect(tiny!.ciSource).toBeUndefined();
    expect(analysis.warnings).toEqual([expect.stringMatching(/^results\.json: model "tiny", judge "single": score 99 differs from .* in judgments\.jsonl; the CI shown is recomputed\./)]);
  });
});

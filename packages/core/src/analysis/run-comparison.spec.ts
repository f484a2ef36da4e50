import { describe, expect, it } from 'vitest';
import type { JudgmentRecord, RunItems } from '../run/run-directory.js';
import { compareRuns } from './run-comparison.js';
import type { RunData } from './run-analysis.js';

const N = 20;

/** A run of N items; `score(model, item, repeat)` gives each judgment, null leaves it out. */
function run(models: string[], judges: string[], score: (model: string, item: number, repeat: number) => number | null, change: (items: RunItems) => void = () => {}): RunData {
  const items: RunItems = {
    items: Array.from({ length: N }, (_, index) => ({ index, instruction: `Instruction ${index}`, input: '', output: 'ref', prompt: `p${index}` })),
    models: models.map((name) => ({ name, responses: Array.from({ length: N }, (_, i) => `${name} answer ${i}`) })),
  };
  change(items);
  const judgments: JudgmentRecord[] = [];
  for (const judge of judges) {
    for (let repeat = 0; repeat < 2; repeat++) {
      for (let index = 0; index < N; index++) {
        const scores = models.flatMap((model) => {
          const s = score(model, index, repeat);
          return s === null ? [] : [{ model, score: s }];
        });
        judgments.push({ judge, mode: 'single', provider: 't', model: 'm', index, repeat, scores, calls: 1, cachedCalls: 0, tokenUsage: { prompt: 0, completion: 0 }, attempts: 1 });
      }
    }
  }
  return { items, judgments };
}

describe('compareRuns', () => {
  // Run B: x scores 50 + item, y 60 on every item. Run A: x is 10 points higher, except item 4 (+40); y is the same.
  const b = run(['x', 'y'], ['j', 'only-b'], (model, item) => (model === 'x' ? 50 + item : 60), (items) => {
    (items.items[19] as { instruction: string }).instruction = 'Another instruction';
  });
  const a = run(['x', 'y', 'z'], ['j'], (model, item, repeat) => (model === 'x' ? 50 + item + (item === 4 ? 40 : 10) + (repeat === 0 ? 1 : -1) : model === 'y' ? 60 : 70), (items) => {
    (items.models[1] as { responses: string[] }).responses[7] = 'y changed its answer';
  });
  const c = compareRuns(a, b, { bootstrap: { resamples: 200 } });

  it('matches items by index and text, and names the models and judges only one run has', () => {
    expect(c.commonItems).toBe(19);
    expect(c.mismatchedItems).toEqual([19]);
    expect(c.onlyA).toEqual({ judges: [], models: ['z'] });
    expect(c.onlyB).toEqual({ judges: ['only-b'], models: [] });
    expect(c.judges.map((j) => j.judge)).toEqual(['j']);
  });

  it('gives each model the mean of per-item differences (this run minus the other) with a paired CI over items', () => {
    const [x, y] = c.judges[0]!.models;
    // 18 items differ by 10 and item 4 by 40: mean (18 * 10 + 40) / 19; repeats average out within each item.
    expect(x!.items).toBe(19);
    expect(x!.difference).toBeCloseTo((18 * 10 + 40) / 19, 10);
    expect(x!.a - x!.b).toBeCloseTo(x!.difference, 10);
    expect(x!.ci95[0]).toBeGreaterThanOrEqual(10);
    expect(x!.ci95[1]).toBeLessThanOrEqual(40);
    expect(x!.significant).toBe(true);
    expect(y).toMatchObject({ model: 'y', items: 19, a: 60, b: 60, difference: 0, ci95: [0, 0], significant: false, answersChanged: 1 });
  });

  it('lists the items that moved by the threshold or more first, then those whose answer changed', () => {
    expect(c.judges[0]!.changed.map((it) => [it.index, it.model, it.difference, it.answerChanged])).toEqual([
      [4, 'x', 40, false],
      [7, 'y', 0, true],
    ]);
    expect(c.judges[0]!.changedTotal).toBe(2);
  });
});

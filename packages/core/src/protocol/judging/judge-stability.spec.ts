import { describe, expect, it } from 'vitest';
import type { RunResults } from '../../run/run-directory.js';
import { expectedScores, formatStudyStabilityMarkdown, judgeStability } from './judge-stability.js';
import type { ScoreGrid } from './judge-results.js';

// grid[model][item][repeat]: model a flips on item 1 (60 -> 70), model b never; item 2 of b failed in repeat 1.
const grid: ScoreGrid = [
  [
    [{ model: 'a', score: 50, distribution: { expected: 52, mass: 1, probabilities: {} } }, { model: 'a', score: 50, distribution: { expected: 54, mass: 1, probabilities: {} } }],
    [{ model: 'a', score: 60 }, { model: 'a', score: 70 }],
  ],
  [
    [{ model: 'b', score: 40 }, { model: 'b', score: 40 }],
    [{ model: 'b', score: 30 }, { model: 'b', score: null, failure: 'unparseable' }],
  ],
];

describe('judge stability in results', () => {
  it('computes the flip rate of a score grid: 1 flip in 3 scored comparisons, 10/3 points of mean change', () => {
    const stability = judgeStability(grid, 1);
    expect(stability?.comparisons).toBe(3);
    expect(stability?.flipRate).toBeCloseTo(1 / 3, 12);
    expect(stability?.meanAbsChange).toBeCloseTo(10 / 3, 12);
    expect(judgeStability(grid.map((items) => items.map((cells) => cells.slice(0, 1))), 1)).toBeUndefined();
  });

  it('averages expected scores per item first, and leaves out models with no distribution', () => {
    const expected = expectedScores(grid, 1);
    expect(expected[0]).toMatchObject({ score: 53, items: 1, judgments: 2 });
    expect(expected[1]).toBeUndefined();
  });

  it("appends each judge's flip rate and why auto repeats stopped to the study's results.md", () => {
    const results = {
      models: [],
      items: 2,
      judges: [
        { name: 'single', stability: judgeStability(grid, 1), autoRepeats: { stopped: 'separated', repeats: 3 } },
        { name: 'reference' },
      ],
    } as unknown as RunResults;
    const text = formatStudyStabilityMarkdown(results);
    expect(text).toMatch(/^\nStability between repeats:\n\n- single: flip rate 33\.3% \[[\d.]+%, [\d.]+%\] between 2 repeats, mean absolute change 3\.33 points, model order changes on 0\.0% of items; repeats auto stopped after 3 repeats because every adjacent pair of models is separated \(the 95% CI of the difference excludes 0\)\.\n$/);
    expect(formatStudyStabilityMarkdown({ models: [], items: 0, judges: [{ name: 'reference' }] } as unknown as RunResults)).toBe('');
  });
});

// A study with a pairwise judge: its Bradley-Terry results reach the study's results.json under the judge's name.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResults } from '../run/run-directory.js';
import { RunStore } from '../run/run-store.js';
import { formatPairwiseMarkdown, type PairwiseResults } from '../analysis/pairwise-results.js';
import { mergeStudyResults } from './study-results.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

function judgeResults(name: string, mode: string, pairwise?: RunResults['pairwise']): RunResults {
  return {
    models: ['a', 'b'].map((model, m) => ({ name: model, score: 60 - 20 * m, ci95: [50 - 20 * m, 70 - 20 * m] as [number, number], scored: 4, failed: 0 })),
    judges: [{ name, mode, provider: 'openai', model: 'x', aggregate: 'drop-failed', repeats: 1 }],
    items: 4,
    ...(pairwise ? { pairwise } : {}),
  };
}

describe('mergeStudyResults with a pairwise judge', () => {
  it("keeps the pairwise judge's Bradley-Terry results under its name, and adds no pairwise key without one", async () => {
    const root = await mkdtemp(join(tmpdir(), 'judgekit-study-pairwise-'));
    dirs.push(root);
    const store = new RunStore(root);
    const bt = { scale: 'elo', comparisons: 8, ties: 0, failed: 0, models: [], winRates: [], positionConsistency: { rate: 1, ci95: [1, 1], n: 4 }, firstPositionWinRate: { rate: 0.5, ci95: [0.5, 0.5], n: 8 }, positionLogit: { value: 0, ci95: [0, 0] }, lengthLogit: { value: 0, ci95: [0, 0] }, rankingChanged: false, rankChanges: [] } as unknown as NonNullable<RunResults['pairwise']>[string];
    for (const [name, results] of [['single', judgeResults('single', 'single')], ['pw', judgeResults('pw', 'pairwise', { pw: bt })]] as const) {
      await mkdir(store.judgeDir(name), { recursive: true });
      await writeFile(join(store.judgeDir(name), 'results.json'), JSON.stringify(results));
    }
    const merged = await mergeStudyResults(store, ['a', 'b'], ['single', 'pw']);
    expect(merged.pairwise).toEqual({ pw: bt });
    expect((JSON.parse(await readFile(store.file('results'), 'utf8')) as RunResults).pairwise?.pw?.comparisons).toBe(8);
    const without = await mergeStudyResults(store, ['a', 'b'], ['single']);
    expect('pairwise' in without).toBe(false);
  });

  it("prints each pairwise judge's Bradley-Terry table and its verdict flips in the study's results.md, after the score table, and no table without a pairwise judge", async () => {
    const root = await mkdtemp(join(tmpdir(), 'judgekit-study-pairwise-md-'));
    dirs.push(root);
    const store = new RunStore(root);
    const bt = (offset: number): PairwiseResults => ({
      scale: 'elo',
      comparisons: 8,
      ties: 1,
      failed: 0,
      models: [
        { name: 'a', bt: 1100 + offset, ci95: [1050 + offset, 1150 + offset], rank: 1, lc: 1090, lcCi95: [1040, 1140], lcRank: 1, winRate: 0.75, winRateCi95: [0.5, 1] },
        { name: 'b', bt: 900 - offset, ci95: [850 - offset, 950 - offset], rank: 2, lc: 910, lcCi95: [860, 960], lcRank: 2, winRate: 0.25, winRateCi95: [0, 0.5] },
      ],
      winRates: [[null, 0.75], [0.25, null]],
      positionConsistency: { rate: 1, ci95: [1, 1], n: 4 },
      firstPositionWinRate: { rate: 0.5, ci95: [0.5, 0.5], n: 8 },
      positionLogit: { value: 0, ci95: [0, 0] },
      lengthLogit: { value: 0, ci95: [0, 0] },
      rankingChanged: false,
      rankChanges: [],
    });
    const pw1 = judgeResults('pw1', 'pairwise', { pw1: bt(0) });
    pw1.judges[0]!.verdictFlips = { repeats: 2, items: 4, comparisons: 8, flipRate: 0.25, flipRateCi95: [0, 0.5] };
    const judges = [['single', judgeResults('single', 'single')], ['pw1', pw1], ['pw2', judgeResults('pw2', 'pairwise', { pw2: bt(20) })]] as const;
    for (const [name, results] of judges) {
      await mkdir(store.judgeDir(name), { recursive: true });
      await writeFile(join(store.judgeDir(name), 'results.json'), JSON.stringify(results));
    }
    await mergeStudyResults(store, ['a', 'b'], ['single', 'pw1', 'pw2']);
    const markdown = await readFile(store.file('resultsMarkdown'), 'utf8');
    // Exactly the tables the judges' own results.md have, in the judges' order, after the study's score table.
    const first = markdown.indexOf(formatPairwiseMarkdown('pw1', bt(0)));
    const second = markdown.indexOf(formatPairwiseMarkdown('pw2', bt(20)));
    expect(first).toBeGreaterThan(markdown.indexOf('| model |'));
    expect(second).toBeGreaterThan(first);
    expect(markdown).toContain('| a | 1120.0 | [1070.00, 1170.00] | 1 |');
    // The pairwise judge's verdict flips from its results.json are in the study's stability lines.
    expect(markdown).toContain('- pw1: pairwise verdict flips 25.0% [0.0%, 50.0%] of 8 verdict comparisons.');
    await mergeStudyResults(store, ['a', 'b'], ['single']);
    expect(await readFile(store.file('resultsMarkdown'), 'utf8')).not.toContain('Bradley-Terry');
  });
});

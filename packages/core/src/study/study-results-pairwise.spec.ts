// A study with a pairwise judge: its Bradley-Terry results reach the study's results.json under the judge's name.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResults } from '../run/run-directory.js';
import { RunStore } from '../run/run-store.js';
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
});

// Table tests for the per-judge statistics on small runs whose answers are computed by hand.
import { describe, expect, it } from 'vitest';
import type { JudgmentRecord } from '../run/run-directory.js';
import { collectJudgeScores, itemModelMeans } from './judge-scores.js';
import { modelScoreSummaries, pairedDifferences } from './model-scores.js';
import { alphaAcrossRepeats, rankDescending, rankStability, testRetest } from './judge-reliability.js';
import { compareJudges, judgeUsage } from './judge-comparison.js';
import { lengthBias, answerLength } from './length-bias.js';
import { lossScoreCorrelation } from './loss-correlation.js';

function record(judge: string, repeat: number, index: number, scores: Array<[string, number | null, number?]>, mode = 'single'): JudgmentRecord {
  return {
    judge,
    mode,
    provider: 'test',
    model: 'm',
    index,
    repeat,
    scores: scores.map(([model, score, position]) => ({ model, score, ...(position ? { position } : {}), ...(score === null ? { failure: 'unparseable' } : {}) })),
    calls: scores.length,
    cachedCalls: 0,
    tokenUsage: { prompt: 100, completion: 2 },
    attempts: scores.length,
  };
}

const MODELS = ['A', 'B'];
const ITEMS = [0, 1, 2];
// Repeat 0 and repeat 1 for items 0..2; B fails once in repeat 1 on item 2.
const JUDGMENTS = [
  record('j', 0, 0, [['A', 80], ['B', 40]]),
  record('j', 0, 1, [['A', 60], ['B', 50]]),
  record('j', 0, 2, [['A', 70], ['B', 30]]),
  record('j', 1, 0, [['A', 90], ['B', 40]]),
  record('j', 1, 1, [['A', 60], ['B', 60]]),
  record('j', 1, 2, [['A', 70], ['B', null]]),
];

describe('collectJudgeScores and model summaries', () => {
  const [judge] = collectJudgeScores(JUDGMENTS, MODELS, ITEMS);
  if (!judge) throw new Error('no judge');

  it('lays scores out as [repeat][item][model] and averages repeats per item', () => {
    expect(judge.repeats).toEqual([0, 1]);
    expect(judge.scores[1]?.[2]?.[1]).toBeNaN();
    expect(itemModelMeans(judge)).toEqual([
      [85, 40],
      [60, 55],
      [70, 30],
    ]);
    expect(judge.usage).toMatchObject({ records: 6, calls: 12, promptTokens: 600, completionTokens: 12 });
  });

  it('model means are means of item means; failures counted', () => {
    const [a, b] = modelScoreSummaries(judge, { resamples: 500 });
    expect(a?.mean).toBeCloseTo(215 / 3, 10);
    expect(b?.mean).toBeCloseTo(125 / 3, 10);
    expect(b).toMatchObject({ scored: 5, failed: 1, items: 3 });
    expect(b?.failureRate).toBeCloseTo(1 / 6, 10);
    // Percentile bootstrap of 3 values stays within their range and brackets the mean.
    expect(a?.ci95[0]).toBeGreaterThanOrEqual(60);
    expect(a?.ci95[1]).toBeLessThanOrEqual(85);
    expect(a!.ci95[0]).toBeLessThan(a!.mean);
  });

  it('failed-as-zero counts a failure as 0', () => {
    const [zero] = collectJudgeScores(JUDGMENTS, MODELS, ITEMS, { aggregate: 'failed-as-zero' });
    expect(itemModelMeans(zero!)[2]).toEqual([70, 15]);
  });

  it('paired differences: mean of per-item gaps, significant when the CI excludes 0', () => {
    const [d] = pairedDifferences(judge, { resamples: 500 });
    // gaps 45, 5, 40
    expect(d).toMatchObject({ a: 'A', b: 'B', items: 3 });
    expect(d?.difference).toBeCloseTo(30, 10);
    expect(d?.significant).toBe(true);
    expect(d?.ci95[0]).toBeGreaterThanOrEqual(5);
  });

  it('test-retest is Pearson over cells scored in both repeats', () => {
    const t = testRetest(judge);
    // repeat 0: 80 40 60 50 70 (30) ; repeat 1: 90 40 60 60 70 (NaN)
    const x = [80, 40, 60, 50, 70];
    const y = [90, 40, 60, 60, 70];
    const mx = 60;
    const my = 64;
    const sxy = x.reduce((s, v, k) => s + (v - mx) * ((y[k] as number) - my), 0);
    const sxx = x.reduce((s, v) => s + (v - mx) ** 2, 0);
    const syy = y.reduce((s, v) => s + (v - my) ** 2, 0);
    expect(t.pairs).toHaveLength(1);
    expect(t.pairs[0]?.cells).toBe(5);
    expect(t.mean).toBeCloseTo(sxy / Math.sqrt(sxx * syy), 10);
    expect(alphaAcrossRepeats(judge)).toBeGreaterThan(0.7);
  });

  it('rank stability: share of repeats with the overall ranking and Kendall W', () => {
    const s = rankStability(judge);
    // repeat means: r0 A=70 B=40; r1 A=73.3 B=50 -> both rank A first like the overall
    expect(s).toMatchObject({ repeats: 2, sameRankingShare: 1 });
    expect(s.kendallW).toBeCloseTo(1, 10);
    expect(rankDescending([3, 9, 3, 1])).toEqual([2, 1, 2, 4]);
  });
});

describe('rank stability with disagreeing repeats', () => {
  it('counts repeats that reorder the models', () => {
    const js = [
      record('j', 0, 0, [['A', 60], ['B', 50], ['C', 40]]),
      record('j', 1, 0, [['A', 50], ['B', 60], ['C', 40]]),
      record('j', 2, 0, [['A', 70], ['B', 50], ['C', 40]]),
      record('j', 3, 0, [['A', 60], ['B', 50], ['C', 40]]),
    ];
    const [judge] = collectJudgeScores(js, ['A', 'B', 'C'], [0]);
    const s = rankStability(judge!);
    expect(s.sameRankingShare).toBeCloseTo(3 / 4, 10);
    // ranks (ascending): [3,2,1] x3 and [2,3,1] -> sums 11, 9, 4; mean 8; S = 9 + 1 + 16 = 26; W = 12*26 / (16 * 24)
    expect(s.kendallW).toBeCloseTo((12 * 26) / (16 * 24), 10);
  });
});

describe('compareJudges', () => {
  it('gives rank tau-b between modes and the per-model shift with a paired CI', () => {
    const js = [
      record('single', 0, 0, [['A', 60], ['B', 50], ['C', 10]]),
      record('single', 0, 1, [['A', 40], ['B', 50], ['C', 20]]),
      record('batched', 0, 0, [['A', 70, 1], ['B', 40, 2], ['C', 20, 3]], 'batched'),
      record('batched', 0, 1, [['A', 50, 2], ['B', 40, 3], ['C', 30, 1]], 'batched'),
    ];
    const [single, batched] = collectJudgeScores(js, ['A', 'B', 'C'], [0, 1]);
    const c = compareJudges(single!, batched!, { resamples: 200 });
    // single: A 50, B 50, C 15; batched: A 60, B 40, C 25. Pairs: AB tie in x (dropped from both), AC C, BC C.
    // concordant 2, discordant 0, n0 = 3, ties x = 1 -> 2 / sqrt(2 * 3)
    expect(c.rankTauB).toBeCloseTo(2 / Math.sqrt(6), 10);
    expect(c.shifts.map((s) => s.shift)).toEqual([10, -10, 10]);
    expect(judgeUsage(single!, { input: 1, output: 10 }).cost).toBeCloseTo((2 * 100 * 1 + 2 * 2 * 10) / 1e6, 12);
  });
});

describe('length bias', () => {
  it.each([
    ['words', '  one two\nthree ', 3],
    ['words', '', 0],
    ['characters', 'héllo', 5],
  ] as const)('answerLength(%s, %j) = %d', (unit, text, expected) => {
    expect(answerLength(text, unit)).toBe(expected);
  });

  it('recovers a planted slope on log length with model fixed effects', () => {
    const responses = [
      ['a', 'a a a', 'a a a a a a a', 'a a a a a a a a a a a a a a a'],
      ['b b', 'b b b b b', 'b b b b b b b b b b b', 'b'],
    ];
    const quality = [20, 50];
    const js = [0, 1, 2, 3].map((i) =>
      record(
        'j',
        0,
        i,
        [0, 1].map((m) => [MODELS[m] as string, (quality[m] as number) + 10 * Math.log1p(answerLength((responses[m] as string[])[i] as string))] as [string, number]),
      ),
    );
    const [judge] = collectJudgeScores(js, MODELS, [0, 1, 2, 3]);
    const bias = lengthBias(judge!, responses, 'words');
    expect(bias.slopePerLogLength).toBeCloseTo(10, 8);
    expect(bias.cells).toBe(8);
    expect(bias.spearman).toBeGreaterThan(0);
    const meanLog = responses.flat().reduce((s, t) => s + Math.log1p(answerLength(t)), 0) / 8;
    expect(bias.controlled[0]?.atMeanLength).toBeCloseTo(20 + 10 * meanLog, 8);
    expect(bias.controlled[1]?.atMeanLength).toBeCloseTo(50 + 10 * meanLog, 8);
  });
});

describe('loss vs score', () => {
  it('is strongly negative when lower loss means a higher score, and warns about few models', () => {
    const c = lossScoreCorrelation('j', [3.2, 3.5, 3.7, 4.1, Number.NaN], [40, 23, 17, 15, 99], { resamples: 300 });
    expect(c.models).toBe(4);
    expect(c.spearman).toBeCloseTo(-1, 12);
    expect(c.pearson).toBeCloseTo(-0.8924, 3);
    expect(c.caveat).toMatch(/Only 4 models: too few to resample/);
    expect(c.spearmanCi95[0]).toBeNaN();
    const five = lossScoreCorrelation('j', [3.2, 3.5, 3.7, 4.1, 4.3], [40, 23, 17, 15, 9], { resamples: 300 });
    expect(five.caveat).toMatch(/Only 5 models: the bootstrap over models is coarse/);
    expect(five.spearmanCi95[1]).toBeLessThanOrEqual(-0.99);
  });

  it('reproduces the published table: loss vs the study batched judge scores', () => {
    const loss = [3.231, 3.5, 3.674, 3.725, 3.73, 3.771, 3.944, 4.135, 4.167];
    const batched = [39.64, 16.66, 16.5, 11.59, 11.23, 11.59, 11.32, 16.41, 15.77];
    const c = lossScoreCorrelation('batched', loss, batched, { resamples: 500 });
    expect(c.pearson).toBeCloseTo(-0.6305, 3);
    expect(c.spearman).toBeCloseTo(-0.5356, 3);
    expect(c.caveat).toMatch(/Only 9 models/);
    expect(c.spearmanCi95[0]).toBeLessThan(c.spearman);
    expect(c.spearmanCi95[1]).toBeGreaterThan(c.spearman);
  });
});

// The judge simulator's pairwise verdicts through the real `openai` SDK, and core's Bradley-Terry analysis
// recovering the planted strengths, position bias and length preference within its 95% CIs.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzePairwise, eloFromLogit, formatPairwiseJudgePrompt, mapConcurrent, pairwiseDesign, parsePairwiseReply, seededRandom, type PairwiseAnalysis, type PairwiseObservation } from '@judgekit/core';
import { simulateJudgeCall, startJudgeSimulator, type JudgeSimulator } from './judge-simulator.js';
import { plantedFirstWins } from './pairwise-simulation.js';
import { plantedRun } from './planted-answers.js';

// Quality 60/55/50/45 at 10 points per logit: centred logits 0.75, 0.25, -0.25, -0.75. The weakest model writes
// the longest answers, so a judge that likes length ranks it above `gamma` until length is controlled.
const MODELS = [
  { name: 'alpha', quality: 60, words: 20 },
  { name: 'beta', quality: 55, words: 12 },
  { name: 'gamma', quality: 50, words: 8 },
  { name: 'delta', quality: 45, words: 60 },
];
const PLANTED_LOGITS = [0.75, 0.25, -0.25, -0.75];
const POSITION_LOGIT = 0.4;
const LENGTH_LOGIT = 0.8;
const ITEMS = 100;
// One seeded draw: the fit is unbiased over 30 draws (mean estimates 0.79, 0.25, -0.27, -0.77; position 0.40; length
// 0.79), and each 95% CI covered its planted value in 82-95% of 40 draws, so another seed can miss one of the six.

let sim: JudgeSimulator;
let analysis: PairwiseAnalysis;

beforeAll(async () => {
  const planted = plantedRun(MODELS, ITEMS, 'pairwise-2', { jitter: 0 });
  sim = await startJudgeSimulator({ quality: planted.quality, seed: 'pairwise', pairwise: { pointsPerLogit: 10, positionLogit: POSITION_LOGIT, lengthLogit: LENGTH_LOGIT } });
  const client = new OpenAI({ apiKey: 'sk-simulator', baseURL: sim.baseURL, maxRetries: 0 });
  const calls = planted.items.items.flatMap((item, row) => pairwiseDesign(MODELS.length, item.index, { seed: 5 }).map(([a, b]) => ({ row, item, a, b })));
  const observations: PairwiseObservation[] = [];
  const responses = planted.items.models.map((model) => model.responses);
  await mapConcurrent(calls, 8, async ({ row, item, a, b }) => {
    const first = responses[a]?.[row] as string;
    const second = responses[b]?.[row] as string;
    const prompt = formatPairwiseJudgePrompt({ prompt: item.prompt, output: item.output, first, second });
    const completion = await client.chat.completions.create({ model: 'judge-simulator', messages: [{ role: 'user', content: prompt }] });
    const parsed = parsePairwiseReply(completion.choices[0]?.message.content ?? '', { strict: true });
    if (!('winner' in parsed)) throw new Error(`unparsable simulated reply: ${parsed.error}`);
    const words = (text: string): number => text.trim().split(/\s+/u).length;
    observations.push({ item: row, repeat: 0, a, b, y: parsed.winner === 'A' ? 1 : parsed.winner === 'B' ? 0 : 0.5, lengthDiff: Math.log1p(words(first)) - Math.log1p(words(second)) });
  });
  analysis = analyzePairwise('pairwise', MODELS.map((m) => m.name), ITEMS, observations, { seed: 11, resamples: 400 });
}, 60_000);

afterAll(async () => {
  await sim.close();
});

describe('the judge simulator, pairwise', () => {
  it('answers a pairwise prompt with the JSON verdict the pairwise judge parses strictly', () => {
    const prompt = formatPairwiseJudgePrompt({ prompt: 'p', output: 'o', first: 'good', second: 'bad' });
    const reply = simulateJudgeCall(prompt, { quality: { good: 90, bad: 10 }, pairwise: { pointsPerLogit: 5 } }, seededRandom(1));
    expect(reply.prompt.kind).toBe('pairwise');
    expect(parsePairwiseReply(reply.reply, { strict: true })).toMatchObject({ winner: 'A' });
    // 80 points at 5 points per logit: the first answer wins with probability sigmoid(16).
    expect(plantedFirstWins('good', 'bad', (t) => (t === 'good' ? 90 : 10), { pointsPerLogit: 5 })).toBeGreaterThan(0.9999);
  });

  it('made one call per ordered pair and item: 4 models x 3 x 100 items', () => {
    expect(sim.calls).toBe(4 * 3 * ITEMS);
    expect(analysis.comparisons).toBe(4 * 3 * ITEMS);
  });

  it('recovers the planted order with length control, and every planted strength lies in its length-controlled 95% CI', () => {
    const ranks = analysis.lengthControlled.map((m) => m.rank);
    expect(ranks).toEqual([1, 2, 3, 4]);
    analysis.lengthControlled.forEach((model, i) => {
      const planted = eloFromLogit(PLANTED_LOGITS[i] as number);
      expect(model.ci95[0], `${model.model} ${model.ci95.join('..')} vs planted ${planted}`).toBeLessThanOrEqual(planted);
      expect(model.ci95[1], `${model.model} ${model.ci95.join('..')} vs planted ${planted}`).toBeGreaterThanOrEqual(planted);
    });
  });

  it('recovers the planted position bias and length preference within their 95% CIs, both clearly above 0', () => {
    expect(analysis.positionLogit.ci95[0]).toBeLessThanOrEqual(POSITION_LOGIT);
    expect(analysis.positionLogit.ci95[1]).toBeGreaterThanOrEqual(POSITION_LOGIT);
    expect(analysis.positionLogit.ci95[0]).toBeGreaterThan(0);
    expect(analysis.lengthLogit.ci95[0]).toBeLessThanOrEqual(LENGTH_LOGIT);
    expect(analysis.lengthLogit.ci95[1]).toBeGreaterThanOrEqual(LENGTH_LOGIT);
    expect(analysis.lengthLogit.ci95[0]).toBeGreaterThan(0);
    // The position bias shows in the raw figures too: the first-shown answer wins more than half the decisive verdicts.
    expect(analysis.firstPositionWinRate.ci95[0]).toBeGreaterThan(0.5);
    expect(analysis.positionConsistency.rate).toBeLessThan(1);
  });

  it('ranks the long-winded weakest model above gamma before length control and flags the change', () => {
    const raw = Object.fromEntries(analysis.bradleyTerry.map((m) => [m.model, m.rank]));
    expect(raw.delta).toBeLessThan(raw.gamma as number);
    expect(analysis.rankingChanged).toBe(true);
    expect(analysis.rankChanges.map((c) => c.model)).toContain('delta');
  });
});

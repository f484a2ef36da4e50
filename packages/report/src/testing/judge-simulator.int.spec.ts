// The simulator through the real `openai` SDK, and the core statistics recovering what it plants.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeRun, decodeLog, formatBatchedJudgePrompt, formatSingleJudgePrompt, seededRandom, type JudgmentRecord, type RunItems } from '@judgekit/core';
import { parseJudgePrompt, simulateJudgeCall, startJudgeSimulator, type JudgeSimulator, type JudgeSimulatorOptions } from './judge-simulator.js';
import { writeSimulatedRun, type SimulatedJudgeSpec } from './simulated-run.js';
import { plantedRun } from './planted-answers.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'judgekit-sim-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function sdkClient(sim: JudgeSimulator): (prompt: string) => Promise<{ text: string; usage: { prompt: number; completion: number } }> {
  const client = new OpenAI({ apiKey: 'sk-simulator', baseURL: sim.baseURL, maxRetries: 0 });
  return async (prompt) => {
    const completion = await client.chat.completions.create({ model: 'judge-simulator', messages: [{ role: 'user', content: prompt }] });
    return { text: completion.choices[0]?.message.content ?? '', usage: { prompt: completion.usage?.prompt_tokens ?? 0, completion: completion.usage?.completion_tokens ?? 0 } };
  };
}

async function simulate(name: string, options: Omit<JudgeSimulatorOptions, 'quality'>, judges: SimulatedJudgeSpec[], items: number) {
  const planted = plantedRun(
    [
      { name: 'alpha', quality: 60 },
      { name: 'beta', quality: 57 },
      { name: 'gamma', quality: 54 },
      { name: 'delta', quality: 51 },
    ],
    items,
    name,
  );
  const sim = await startJudgeSimulator({ ...options, quality: planted.quality });
  try {
    const runDir = join(dir, name);
    await writeSimulatedRun({ dir: runDir, items: planted.items, judges, complete: sdkClient(sim), seed: name });
    const judgments = decodeLog<JudgmentRecord>(await readFile(join(runDir, 'judgments.jsonl'), 'utf8'));
    expect(judgments.problems).toEqual([]);
    const items2 = JSON.parse(await readFile(join(runDir, 'items.json'), 'utf8')) as RunItems;
    return { analysis: analyzeRun({ items: items2, judgments: [...judgments.entries.values()] }, { bootstrap: { resamples: 400 } }), calls: sim.calls };
  } finally {
    await sim.close();
  }
}

describe('judge simulator over the OpenAI wire format', () => {
  it('parses both prompts and scores planted qualities through the real openai SDK', async () => {
    const quality = new Map([
      ['good answer', 90],
      ['poor answer', 20],
      ['odd ``` answer', 55],
    ]);
    const sim = await startJudgeSimulator({ quality, positionEffects: [5, 0, -5] });
    try {
      const complete = sdkClient(sim);
      expect((await complete(formatSingleJudgePrompt({ prompt: 'Below is...\n\n### Instruction:\nSay hi', output: 'hi', response: 'good answer' }))).text).toBe('90');
      const batched = await complete(formatBatchedJudgePrompt({ prompt: 'Below is...', output: 'ref', responses: ['poor answer', 'odd ``` answer', 'good answer'] }));
      expect(JSON.parse(batched.text)).toMatchObject({ 'Model 1': { score: 25 }, 'Model 2': { score: 55 }, 'Model 3': { score: 85 } });
      expect(batched.usage.prompt).toBeGreaterThan(50);
      expect(sim.calls).toBe(2);
      const raw = await fetch(`${sim.baseURL}/nope`, { method: 'POST', body: '{}' });
      expect(raw.status).toBe(404);
    } finally {
      await sim.close();
    }
  });

  it('is deterministic per seed and prompt, and different across repeats of a prompt', () => {
    const prompt = formatSingleJudgePrompt({ prompt: 'p', output: 'o', response: 'x' });
    expect(parseJudgePrompt(prompt)).toEqual({ kind: 'single', answers: ['x'] });
    const options = { quality: () => 50, callMoodSd: 10, seed: 3 };
    const a = simulateJudgeCall(prompt, options, seededRandom('a'));
    const b = simulateJudgeCall(prompt, options, seededRandom('a'));
    expect(a.scores).toEqual(b.scores);
    const c = [1, 2, 3, 4, 5].map((k) => simulateJudgeCall(prompt, options, seededRandom(`b${k}`)).scores[0]);
    expect(new Set(c).size).toBeGreaterThan(1);
    expect(simulateJudgeCall(prompt, { quality: () => 50, failureRate: 1 }, Math.random).scores).toEqual([]);
  });
});

describe('statistics recover planted effects', () => {
  const POSITION = [6, 2, -2, -6];

  it('per-call mood: batched rankings are more stable than single, and the slot effects lie in their CIs', async () => {
    const { analysis, calls } = await simulate(
      'mood',
      { callMoodSd: 15, answerNoiseSd: 0, positionEffects: POSITION, seed: 11 },
      [
        { name: 'single', mode: 'single', repeats: 6 },
        { name: 'batched', mode: 'batched', repeats: 6, order: 'balanced' },
      ],
      20,
    );
    expect(calls).toBe(20 * 4 * 6 + 20 * 6);
    const single = analysis.judges.find((j) => j.judge === 'single')!;
    const batched = analysis.judges.find((j) => j.judge === 'batched')!;
    expect(batched.rankStability.kendallW).toBeGreaterThan(single.rankStability.kendallW);
    expect(batched.rankStability.sameRankingShare).toBeGreaterThan(single.rankStability.sameRankingShare);
    const slots = batched.positionBias!.slots;
    slots.forEach((slot, s) => {
      expect(slot.effectCi95[0]).toBeLessThanOrEqual(POSITION[s] as number);
      expect(slot.effectCi95[1]).toBeGreaterThanOrEqual(POSITION[s] as number);
    });
    expect(single.positionBias).toBeNull();
    // Mood moves every cell between repeats in both modes; only batched judging cancels it within an item.
    expect(batched.differences.filter((d) => d.significant).length).toBeGreaterThan(single.differences.filter((d) => d.significant).length);
  });

  it('per-answer noise with position bias (random order): single rankings are more stable than batched', async () => {
    const { analysis } = await simulate(
      'answer-noise',
      { callMoodSd: 0, answerNoiseSd: 12, positionEffects: [20, 7, -7, -20], seed: 12 },
      [
        { name: 'single', mode: 'single', repeats: 8 },
        { name: 'batched', mode: 'batched', repeats: 8, order: 'random' },
      ],
      20,
    );
    const single = analysis.judges.find((j) => j.judge === 'single')!;
    const batched = analysis.judges.find((j) => j.judge === 'batched')!;
    expect(single.rankStability.kendallW).toBeGreaterThan(batched.rankStability.kendallW);
    expect(batched.positionBias!.slots[0]!.effectCi95[0]).toBeGreaterThan(0);
  });
});

// A small simulated run directory for the report tests, with hostile text planted in a model name, an
// instruction and an answer (the report must show it as text).
import OpenAI from 'openai';
import type { RunLosses } from '@judgekit/core';
import { plantedRun, startJudgeSimulator, writeSimulatedRun } from './testing/index.js';

export const HOSTILE_ANSWER = '<img src=x onerror="window.__xss=1"></script><script>window.__xss=2</script>';
export const HOSTILE_MODEL = '<b onmouseover="window.__xss=3">bold</b>';
const HOSTILE_INSTRUCTION = 'Explain </script><svg onload="window.__xss=4"> & "quotes"';

export async function writeReportTestRun(dir: string): Promise<void> {
  const planted = plantedRun(
    [
      { name: 'medium', quality: 65 },
      { name: 'small', quality: 50, words: 40 },
      { name: HOSTILE_MODEL, quality: 40 },
    ],
    12,
    'report-test',
  );
  const items = planted.items;
  (items.models[2] as { responses: string[] }).responses[1] = HOSTILE_ANSWER;
  (items.items[1] as { instruction: string }).instruction = HOSTILE_INSTRUCTION;
  const sim = await startJudgeSimulator({ quality: planted.quality, callMoodSd: 8, answerNoiseSd: 3, positionEffects: [4, 0, -4], failureRate: 0.05, seed: 5 });
  try {
    const client = new OpenAI({ apiKey: 'sk-simulator', baseURL: sim.baseURL, maxRetries: 0 });
    await writeSimulatedRun({
      dir,
      items,
      judges: [
        { name: 'batched', mode: 'batched', repeats: 2 },
        { name: 'single', mode: 'single', repeats: 2 },
      ],
      losses: { models: [['medium', 3.2], ['small', 3.5], [HOSTILE_MODEL, 3.9]].map(([name, loss]) => lossRow(name as string, loss as number)) },
      complete: async (prompt) => {
        const c = await client.chat.completions.create({ model: 'judge-simulator', messages: [{ role: 'user', content: prompt }] });
        return { text: c.choices[0]?.message.content ?? '', usage: { prompt: c.usage?.prompt_tokens ?? 0, completion: c.usage?.completion_tokens ?? 0 } };
      },
    });
  } finally {
    await sim.close();
  }
}

/** A loss.json row as the loss stage writes it: 2 batches of 6 x 1024 windows, the last window short. */
function lossRow(name: string, loss: number): RunLosses['models'][number] {
  const protocol = { kind: 'non-overlapping', contextLength: 1024, stride: 1024, batchSize: 6, startToken: 0, aggregate: 'mean-of-batch-means', lastWindow: 'partial windows included' };
  return { name, loss, meanOfBatchMeans: loss, tokenMean: loss - 0.01, tokens: 11_000, batches: 2, windows: 11, protocol };
}

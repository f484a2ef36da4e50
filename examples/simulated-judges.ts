// Demo of the judge analysis without an API key: start the judge simulator (an OpenAI-compatible local server
// with planted quality, per-call mood, position and length effects), judge planted answers of five models in
// single and batched mode through the real `openai` SDK, and write report.html + report.md.
//   node --conditions=@judgekit/source --import tsx/esm examples/simulated-judges.ts [run-dir]
// With the judges plugin you can instead point `judgekit judge --judge openai:sim` at the simulator by setting
// OPENAI_BASE_URL to the URL this prints.
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import OpenAI from 'openai';
import { writeRunReport } from '@judgekit/report';
import { plantedRun, startJudgeSimulator, writeSimulatedRun } from '@judgekit/report/testing';

// The docs test runs every example with JUDGEKIT_EXAMPLE_QUICK=1: fewer items, and a temporary directory.
const quick = process.env.JUDGEKIT_EXAMPLE_QUICK === '1';
const runDir = resolve(process.argv[2] ?? (quick ? join(mkdtempSync(join(tmpdir(), 'judgekit-demo-')), 'run') : 'runs/simulated-judges'));
// Five models whose true quality falls as loss rises, with one outlier that writes long answers.
const models = [
  { name: 'medium', quality: 62, loss: 3.23, words: 30 },
  { name: 'small', quality: 52, loss: 3.5, words: 25 },
  { name: 'cloud-a100', quality: 48, loss: 3.67, words: 20 },
  { name: 'local-edu', quality: 45, loss: 4.13, words: 60 },
  { name: 'local', quality: 42, loss: 3.94, words: 15 },
];
const planted = plantedRun(models, quick ? 10 : 40, 'demo', { itemSpread: 15 });

const simulator = await startJudgeSimulator({
  quality: planted.quality,
  callMoodSd: 12,
  answerNoiseSd: 4,
  positionEffects: [5, 2, 0, -2, -5],
  lengthEffect: 3,
  failureRate: 0.02,
  seed: 7,
});
console.log(`judge simulator listening at ${simulator.baseURL}`);
try {
  const client = new OpenAI({ apiKey: 'sk-simulator', baseURL: simulator.baseURL, maxRetries: 0 });
  await writeSimulatedRun({
    dir: runDir,
    items: planted.items,
    judges: [
      { name: 'single', mode: 'single', repeats: quick ? 2 : 3 },
      { name: 'batched', mode: 'batched', repeats: quick ? 2 : 3, order: 'balanced' },
    ],
    losses: { models: models.map((m) => ({ name: m.name, loss: m.loss, tokens: 0, protocol: { simulated: true } })) },
    complete: async (prompt) => {
      const completion = await client.chat.completions.create({ model: 'judge-simulator', messages: [{ role: 'user', content: prompt }] });
      return { text: completion.choices[0]?.message.content ?? '', usage: { prompt: completion.usage?.prompt_tokens ?? 0, completion: completion.usage?.completion_tokens ?? 0 } };
    },
  });
  console.log(`${simulator.calls} judge calls answered`);
} finally {
  await simulator.close();
}

const report = await writeRunReport(runDir, { resamples: quick ? 300 : 2000, pricing: { 'judge-simulator': { input: 1.25, output: 10 } } });
console.log(report.markdown);
console.log(`Wrote ${report.files.join(' and ')}`);
if (quick && process.argv[2] === undefined) await rm(dirname(runDir), { recursive: true, force: true });

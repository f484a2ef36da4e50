// Guide example (docs/guides/reproduce-the-study.md): the study's protocol on your own checkpoints, as one
// `judgekit run` config: the book's dataset split and template, instruction fine-tuning with early stopping,
// greedy generation of the test answers, then judging. Point `models` at your checkpoints and run it.
// Here, so it runs anywhere in seconds, the checkpoints are tiny random GPT-2s, the dataset is the project's
// tiny task set, and the judge is the offline reference judge (set OPENAI_API_KEY and it adds the study's
// batched judge).
//   node --conditions=@judgekit/source --import tsx/esm examples/guide-reproduce-study.ts
import 'reflect-metadata';
import type { StudyConfig } from '@judgekit/core';
import { createTinyGpt2 } from '@judgekit/backends/testing';
import { tinyTasks } from '@judgekit/datasets';
import { main } from 'judgekit';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The test suite runs every example with JUDGEKIT_EXAMPLE_QUICK=1: fewer records and one epoch.
const quick = process.env.JUDGEKIT_EXAMPLE_QUICK === '1';
const dir = await mkdtemp(join(tmpdir(), 'judgekit-guide-study-'));
try {
  // Stand-ins for your checkpoints: two GPT-2-shaped models (Hugging Face naming, safetensors + config.json).
  await mkdir(join(dir, 'small'));
  await mkdir(join(dir, 'other'));
  const small = await createTinyGpt2({ dir: join(dir, 'small'), seed: 1, vocabSize: 50257, contextLength: 128, embDim: 16, nLayers: 1, nHeads: 2 });
  const other = await createTinyGpt2({ dir: join(dir, 'other'), seed: 2, vocabSize: 50257, contextLength: 128, embDim: 16, nLayers: 1, nHeads: 2 });
  // Stand-in for the book's 1100-record dataset: use {"location": "<url or path>", "sha256": "..."} for the real one.
  await writeFile(join(dir, 'tasks.json'), JSON.stringify(tinyTasks({ count: quick ? 12 : 40 })));

  const config: StudyConfig = {
    runDir: 'run',
    cacheDir: 'cache',
    seed: 123,
    device: 'cpu',
    models: [
      { name: 'small', checkpoint: small.checkpointPath },
      { name: 'other', checkpoint: other.checkpointPath },
    ],
    // The book's split (85% / 10% / rest, file order) and prompt template; `limit` keeps the smoke run short.
    dataset: { location: 'tasks.json', template: 'book', split: { train: 0.85, test: 0.1 }, limit: quick ? 2 : 4 },
    // The study: AdamW 5e-5, weight decay 0.1, batch 8, epochs until validation loss rises, best epoch kept.
    finetune: { maxEpochs: quick ? 1 : 2, learningRate: 5e-5, weightDecay: 0.1, batchSize: 8, seed: 123 },
    // The study: greedy decoding, 256 new tokens; 8 here.
    generation: { maxNewTokens: 8 },
    judges: [
      { mode: 'reference' },
      ...(process.env.OPENAI_API_KEY ? [{ mode: 'batched' as const, judge: 'openai:gpt-5.1', seed: 123 }] : []),
    ],
  };
  await writeFile(join(dir, 'study.json'), JSON.stringify(config, null, 2));

  // The same as `npx judgekit run study.json` in that directory.
  const code = await main(['run', join(dir, 'study.json'), '--quiet'], { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: dir });
  if (code !== 0) throw new Error(`judgekit run exited with ${code}`);
  const results = JSON.parse(await readFile(join(dir, 'run', 'results.json'), 'utf8')) as { models: Array<{ name: string; score: number }> };
  console.log(results.models.map((model) => `${model.name}: ${model.score.toFixed(2)}`).join('\n'));
} finally {
  await rm(dir, { recursive: true, force: true });
}

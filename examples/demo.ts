// `npm run demo`: the whole study on an embedded default, offline, in a few minutes on two cores. Three tiny
// GPT-2 models (real GPT-2 vocabulary) are pre-trained from seeded random weights on the project's own corpus
// (different sizes and step counts), then `judgekit run` measures their test loss on held-out text, fine-tunes
// each on the project's tiny instruction set (arithmetic, copying and rewriting words, fact lookup), generates
// answers for the test split, judges them with the offline reference judge, and writes the table and the report.
// With OPENAI_API_KEY set, a batched LLM judge joins in.
import 'reflect-metadata';
import { writeJsonAtomic } from '@judgekit/core';
import { tinyCorpus, tinyTasks } from '@judgekit/datasets';
import { main, rerunWithHugePages, stopWithParent } from 'judgekit';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CONTEXT_LENGTH, pretrainDemoModel, type DemoModelSpec } from './demo-models.ts';

// Training with the full vocabulary is several times faster with huge pages, which glibc only takes at start-up.
stopWithParent();
const rerun = await rerunWithHugePages({ stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });
if (rerun !== undefined) process.exit(rerun);

const root = resolve(process.env.JUDGEKIT_DEMO_DIR ?? 'runs/demo');
const quick = process.env.JUDGEKIT_EXAMPLE_QUICK === '1';
const log = (line: string): void => console.error(`judgekit demo: ${line}`);

const MODELS: DemoModelSpec[] = [
  { name: 'wide-long', embDim: 64, nLayers: 2, nHeads: 4, steps: quick ? 40 : 250 },
  { name: 'wide-short', embDim: 64, nLayers: 2, nHeads: 4, steps: quick ? 8 : 40 },
  { name: 'narrow-long', embDim: 32, nLayers: 1, nHeads: 2, steps: quick ? 40 : 250 },
];

// The project's own data: a corpus for pre-training and held-out test loss, and an instruction set.
const dataDir = join(root, 'data');
await mkdir(dataDir, { recursive: true });
const documents = tinyCorpus({ count: 400, seed: 3 });
const heldOut = documents.slice(360);
await writeFile(join(dataDir, 'heldout.jsonl'), heldOut.map((text) => JSON.stringify({ text })).join('\n') + '\n');
await writeJsonAtomic(join(dataDir, 'tiny-tasks.json'), tinyTasks({ count: quick ? 120 : 500, seed: 7 }));

const models = [];
for (const spec of MODELS) {
  const { checkpoint } = await pretrainDemoModel(spec, documents.slice(0, 360), join(root, 'models'), log);
  models.push({ name: spec.name, checkpoint });
}

const judges: Array<Record<string, unknown>> = [{ name: 'reference', mode: 'reference' }];
if (process.env.OPENAI_API_KEY) judges.push({ name: 'batched', mode: 'batched', judge: `openai:${process.env.JUDGEKIT_DEMO_JUDGE ?? 'gpt-4o-mini'}` });
const configFile = join(root, 'study.json');
await writeJsonAtomic(configFile, {
  runDir: 'run',
  device: 'cpu',
  models,
  // The demo's own protocol, not the study's (TEST_LOSS_DEFAULTS: 1024-token windows, 6 per batch): every loss it
  // prints says which, with the token mean beside it, so compare it only with losses of the same protocol.
  loss: { data: 'data/heldout.jsonl', contextLength: CONTEXT_LENGTH, batchSize: 8 },
  // A short custom template: the book's preamble would double every example's length for these tiny models.
  dataset: { location: 'data/tiny-tasks.json', template: { name: 'short', prompt: '### Instruction:\n{instruction}', input: '\n### Input:\n{input}', response: '\n### Response:\n{output}' }, limit: 40 },
  // Early stopping as in the study; the prompt tokens are masked (a known variant) so tiny models spend their
  // few steps on the answers.
  finetune: quick ? { epochs: 1, learningRate: 0.002, weightDecay: 0.01, batchSize: 8, maskPrompt: true, seed: 1 } : { maxEpochs: 5, learningRate: 0.003, weightDecay: 0.01, batchSize: 8, maskPrompt: true, seed: 1 },
  generation: { maxNewTokens: 24, batchSize: 16 },
  judges,
});
log(`${models.length} models, ${judges.map((j) => j.name).join(' + ')} judge; config ${configFile}`);
process.exitCode = await main(['run', configFile], { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });

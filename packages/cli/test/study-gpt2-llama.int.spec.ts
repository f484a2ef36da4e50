// `judgekit run` on a study of two architectures: a tiny GPT-2 (book naming, r50k_base) and a tiny Llama checkpoint
// folder (grouped-query attention, its own tokenizer.json) go through every stage (test loss on a text file, each
// with its own tokenizer; instruction fine-tuning; answer generation; the offline reference judge) in one run.
import 'reflect-metadata';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunLosses, RunResults } from '@judgekit/core';
import { createTinyGpt2, createTinyLlama } from '@judgekit/backends/testing';
import { runMain } from './support/run-main.js';

// 40 records: 34 train, 4 test, 2 validation.
const TEST_ITEMS = 4;
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'judgekit-study-gpt2-llama-'));
  await mkdir(join(root, 'models', 'llama'), { recursive: true });
  await createTinyGpt2({ vocabSize: 50257, contextLength: 64, embDim: 8, nLayers: 1, nHeads: 2, naming: 'book', qkvBias: false, tiedHead: false, dir: join(root, 'models'), name: 'gpt2', seed: 1 });
  await createTinyLlama({ dir: join(root, 'models', 'llama'), seed: 2, contextLength: 64, embDim: 16, nHeads: 4, nKvHeads: 2, intermediateSize: 32 });
  const records = Array.from({ length: 40 }, (_, i) => ({ instruction: `Name a colour (${i}).`, input: i % 2 ? `hint ${i}` : '', output: `blue ${i}` }));
  await writeFile(join(root, 'data.json'), JSON.stringify(records));
  await writeFile(join(root, 'held-out.txt'), Array.from({ length: 12 }, (_, i) => `Line ${i} is about the colours of the sea.`).join('\n'));
  await writeFile(
    join(root, 'study.json'),
    JSON.stringify({
      runDir: 'out',
      device: 'cpu',
      models: [
        { name: 'gpt2', checkpoint: 'models/gpt2.safetensors', options: { threads: 1 } },
        { name: 'llama', checkpoint: 'models/llama/model.safetensors', options: { threads: 1 } },
      ],
      loss: { data: 'held-out.txt', contextLength: 8, batchSize: 2 },
      dataset: { location: 'data.json' },
      finetune: { epochs: 1, batchSize: 8, learningRate: 0.001 },
      generation: { maxNewTokens: 4, batchSize: 4 },
      judges: [{ mode: 'reference' }],
      reporters: [],
    }),
  );
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('judgekit run with a GPT-2 and a Llama checkpoint', () => {
  it('measures both losses with their own tokenizers, fine-tunes both, generates and judges both answers', async () => {
    const run = await runMain(['run', 'study.json'], { cwd: root, env: { JUDGEKIT_CACHE_DIR: join(root, 'cache') } });
    expect(run.code, run.stderr).toBe(0);
    const out = join(root, 'out');
    const losses = JSON.parse(await readFile(join(out, 'loss.json'), 'utf8')) as RunLosses;
    const byName = Object.fromEntries(losses.models.map((model) => [model.name, model]));
    expect(Object.keys(byName).sort()).toEqual(['gpt2', 'llama']);
    for (const model of Object.values(byName)) expect(Number.isFinite(model.loss) && (model.loss ?? 0) > 0).toBe(true);
    // Each model's data description names its own tokenizer.
    const lossJson = JSON.stringify(losses);
    expect(lossJson).toContain('GPT-2 tokens of 1 text documents');
    expect(lossJson).toContain('Llama (PreTrainedTokenizerFast) tokens of 1 text documents');

    // The fine-tuned Llama keeps its tokenizer beside its weights, and generation read it.
    const finetuned = await readFile(join(out, 'finetune', 'llama', 'tokenizer.json'), 'utf8');
    expect(finetuned).toBe(await readFile(join(root, 'models', 'llama', 'tokenizer.json'), 'utf8'));
    for (const name of ['gpt2', 'llama']) {
      const answers = JSON.parse(await readFile(join(out, 'answers', `${name}-ift-test-results.json`), 'utf8')) as Array<{ model_response: unknown }>;
      expect(answers).toHaveLength(TEST_ITEMS);
      for (const answer of answers) expect(typeof answer.model_response).toBe('string');
    }

    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as RunResults;
    expect(results.models.map((model) => model.name)).toEqual(['gpt2', 'llama']);
    for (const model of results.models) {
      expect(model.judges?.reference?.scored).toBe(TEST_ITEMS);
      expect(model.loss).toBe(byName[model.name]!.loss);
    }
  });
});

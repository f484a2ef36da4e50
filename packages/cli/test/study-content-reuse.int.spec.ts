// `judgekit run` reuses results by the content of what they were made from: a study of two tiny GPT-2 models runs
// every stage (loss, fine-tuning, generation, a single judge against the fake server); one checkpoint is then
// overwritten in place with other weights, and the rerun recomputes that model's loss, fine-tune, answers and
// judgments only, says why, and reuses everything of the other model.
import 'reflect-metadata';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonlLog, type JudgmentRecord, type RunLosses } from '@judgekit/core';
import { createTinyGpt2 } from '@judgekit/backends/testing';
import { singlePromptAnswer, startFakeLlmServer, type FakeLlmServer } from '@judgekit/judges/testing';
import { runMain } from './support/run-main.js';

const KEY = 'sk-test-content-reuse-not-real';
const TINY = { vocabSize: 50257, contextLength: 64, embDim: 8, nLayers: 1, nHeads: 2, naming: 'book', qkvBias: false, tiedHead: false } as const;
// 40 records: 34 train, 4 test, 2 validation.
const TEST_ITEMS = 4;

let server: FakeLlmServer;
let root: string;
let out: string;

const judgekit = (args: string[]) =>
  runMain(args, { cwd: root, env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.openaiBaseURL, JUDGEKIT_CACHE_DIR: join(root, 'cache') } });

const writeModel = (name: string, seed: number) => createTinyGpt2({ ...TINY, dir: join(root, 'models'), name, seed });

async function answersOf(name: string): Promise<string[]> {
  const records = JSON.parse(await readFile(join(out, 'answers', `${name}-ift-test-results.json`), 'utf8')) as Array<{ model_response: string }>;
  return records.map((record) => record.model_response);
}

async function losses(): Promise<Record<string, number>> {
  const written = JSON.parse(await readFile(join(out, 'loss.json'), 'utf8')) as RunLosses;
  return Object.fromEntries(written.models.map((model) => [model.name, model.loss]));
}

/** Answers the judge was asked about since request `from`. */
function judgedAnswers(from: number): string[] {
  return server.requests.slice(from).map((request) => singlePromptAnswer(request.prompt) ?? `<no answer in: ${request.prompt.slice(0, 80)}>`);
}

beforeAll(async () => {
  server = await startFakeLlmServer(() => '50');
  root = await mkdtemp(join(tmpdir(), 'judgekit-content-reuse-'));
  out = join(root, 'out');
  await mkdir(join(root, 'models'));
  await writeModel('alpha', 1);
  await writeModel('beta', 2);
  const records = Array.from({ length: 40 }, (_, i) => ({ instruction: `Name a colour (${i}).`, input: i % 2 ? `hint ${i}` : '', output: `blue ${i}` }));
  await writeFile(join(root, 'data.json'), JSON.stringify(records));
  await writeFile(join(root, 'tokens.bin'), new Uint16Array(Array.from({ length: 200 }, (_, i) => [11, 13, 262, 50256][i % 4] as number)));
  await writeFile(
    join(root, 'study.json'),
    JSON.stringify({
      runDir: 'out',
      device: 'cpu',
      models: [
        { name: 'alpha', checkpoint: 'models/alpha.safetensors', options: { threads: 1 } },
        { name: 'beta', checkpoint: 'models/beta.safetensors', options: { threads: 1 } },
      ],
      loss: { data: 'tokens.bin', contextLength: 8, batchSize: 2 },
      dataset: { location: 'data.json' },
      finetune: { epochs: 1, batchSize: 8, learningRate: 0.001 },
      generation: { maxNewTokens: 4, batchSize: 4 },
      judges: [{ name: 'single', mode: 'single', judge: 'openai:judge-model' }],
      reporters: [],
    }),
  );
});

afterAll(async () => {
  await server?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('judgekit run after one checkpoint is overwritten in place', () => {
  it("recomputes only that model's loss, fine-tune, answers and judgments, says why, and reuses the other model's", async () => {
    const first = await judgekit(['run', 'study.json']);
    expect(first.code, first.stderr).toBe(0);
    expect(server.requests).toHaveLength(2 * TEST_ITEMS);
    expect(first.stderr).not.toMatch(/cannot record spend/);

    const before = {
      losses: await losses(),
      alphaAnswers: await answersOf('alpha'),
      betaAnswers: await answersOf('beta'),
      alphaWeights: await readFile(join(out, 'finetune', 'alpha', 'model.safetensors')),
      betaWeights: await stat(join(out, 'finetune', 'beta', 'model.safetensors')),
      betaEpochs: await readFile(join(out, 'finetune', 'beta', 'epochs.jsonl'), 'utf8'),
    };
    expect(before.alphaAnswers).not.toEqual(before.betaAnswers);

    // Same path, same size, other weights.
    await writeModel('alpha', 3);
    const requestsBefore = server.requests.length;
    const second = await judgekit(['run', 'study.json']);
    expect(second.code, second.stderr).toBe(0);
    const log = second.stderr;

    // Loss: alpha measured again (and said why), beta's reused.
    expect(log).toMatch(/loss alpha: checkpoint of model "alpha" changed \(sha256:[0-9a-f]{12} -> sha256:[0-9a-f]{12}\): measuring its loss again/);
    expect(log).not.toMatch(/loss beta:/);
    const after = await losses();
    expect(after.beta).toBe(before.losses.beta);
    expect(after.alpha).not.toBe(before.losses.alpha);

    // Fine-tuning: alpha afresh, beta's weights and epochs untouched.
    expect(log).toMatch(/finetune alpha: checkpoint of model "alpha" changed \(.*\): fine-tuning it afresh/);
    expect(log).not.toMatch(/finetune beta: checkpoint/);
    expect((await readFile(join(out, 'finetune', 'alpha', 'model.safetensors'))).equals(before.alphaWeights)).toBe(false);
    expect((await stat(join(out, 'finetune', 'beta', 'model.safetensors'))).mtimeMs).toBe(before.betaWeights.mtimeMs);
    expect(await readFile(join(out, 'finetune', 'beta', 'epochs.jsonl'), 'utf8')).toBe(before.betaEpochs);

    // Answers: alpha's made by the old weights are generated again, with the reason; beta's all resumed.
    expect(log).toMatch(new RegExp(`generate alpha: ${TEST_ITEMS} answers of "alpha" in \\S+ were made by other weights \\(sha256:[0-9a-f]{12}, now sha256:[0-9a-f]{12}\\): generating them again`));
    expect(log).toContain(`generate alpha: ${TEST_ITEMS} answers generated, 0 resumed`);
    expect(log).toContain(`generate beta: 0 answers generated, ${TEST_ITEMS} resumed`);
    const alphaAnswers = await answersOf('alpha');
    expect(alphaAnswers).not.toEqual(before.alphaAnswers);
    expect(await answersOf('beta')).toEqual(before.betaAnswers);

    // Judging: one call per new alpha answer, none for beta; every item's judgment holds alpha's new answer.
    expect(server.requests.length - requestsBefore).toBe(TEST_ITEMS);
    expect(judgedAnswers(requestsBefore).sort()).toEqual([...alphaAnswers].sort());
    const judgments = [...(await new JsonlLog<JudgmentRecord>(join(out, 'judgments.jsonl')).read()).entries.values()];
    expect(judgments).toHaveLength(TEST_ITEMS);
    expect(log).toMatch(/judge single: .*answer of alpha changed/);

    // And a third run finds everything current.
    const third = await judgekit(['run', 'study.json']);
    expect(third.code, third.stderr).toBe(0);
    expect(third.stdout).toMatch(/Nothing to do/);
    expect(server.requests.length - requestsBefore).toBe(TEST_ITEMS);
  }, 240_000);

  it('measures every loss again when the held-out token file is overwritten in place, and nothing else', async () => {
    const before = await losses();
    const requestsBefore = server.requests.length;
    const betaWeights = await stat(join(out, 'finetune', 'beta', 'model.safetensors'));
    // Same path, same size, other tokens.
    await writeFile(join(root, 'tokens.bin'), new Uint16Array(Array.from({ length: 200 }, (_, i) => [262, 11, 50256, 13, 464][i % 5] as number)));
    const rerun = await judgekit(['run', 'study.json']);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(/loss alpha: the loss settings, the held-out tokens or its backend changed: measuring its loss again/);
    expect(rerun.stderr).toMatch(/loss beta: the loss settings, the held-out tokens or its backend changed: measuring its loss again/);
    const after = await losses();
    expect(after.alpha).not.toBe(before.alpha);
    expect(after.beta).not.toBe(before.beta);
    expect((await stat(join(out, 'finetune', 'beta', 'model.safetensors'))).mtimeMs).toBe(betaWeights.mtimeMs);
    expect(server.requests.length).toBe(requestsBefore);
  }, 240_000);

  it('fine-tunes every model afresh, without an error, when the recipe changes, and again when the dataset file is edited in place', async () => {
    const study = JSON.parse(await readFile(join(root, 'study.json'), 'utf8')) as { finetune: Record<string, unknown> };
    study.finetune.learningRate = 0.002;
    await writeFile(join(root, 'study.json'), JSON.stringify(study));
    const recipe = await judgekit(['run', 'study.json']);
    expect(recipe.code, recipe.stderr).toBe(0);
    for (const name of ['alpha', 'beta']) {
      expect(recipe.stderr).toContain(`finetune ${name}: the fine-tuning recipe, the dataset or the backend changed: fine-tuning it afresh`);
    }

    const data = join(root, 'data.json');
    const records = JSON.parse(await readFile(data, 'utf8')) as Array<{ output: string }>;
    records[0]!.output = 'red 0';
    await writeFile(data, JSON.stringify(records));
    const edited = await judgekit(['run', 'study.json']);
    expect(edited.code, edited.stderr).toBe(0);
    expect(edited.stdout).not.toMatch(/Nothing to do/);
    for (const name of ['alpha', 'beta']) {
      expect(edited.stderr).toContain(`finetune ${name}: the fine-tuning recipe, the dataset or the backend changed: fine-tuning it afresh`);
    }
  }, 240_000);
});

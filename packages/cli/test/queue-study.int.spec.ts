// `judgekit run <study> --queue`: a study of two tiny GPT-2 models (loss, fine-tuning, generation, a single judge
// against the fake judge server and the reference judge) run by a coordinator with two `judgekit worker` processes
// on a real redis-server gives the in-process run's results.json numbers, answer files and fine-tuned weights, and
// every stage's work went through the queue as units made by the workers.
import { createTinyGpt2 } from '@judgekit/backends/testing';
import type { RunResults } from '@judgekit/core';
import { singlePromptAnswer, startFakeLlmServer, type FakeLlmServer } from '@judgekit/judges/testing';
import { redisTestSkipReason, startRedisServer, type TestRedisServer } from '@judgekit/queue/testing';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJudgekit, startJudgekit, waitFor, type CliProcess } from './support/cli-process.js';
import { workerUnits } from './support/queue-fixture.js';

const missing = redisTestSkipReason();
const KEY = 'sk-queue-study-not-a-real-key';
const TINY = { vocabSize: 50257, contextLength: 64, embDim: 8, nLayers: 1, nHeads: 2, naming: 'book', qkvBias: false, tiedHead: false } as const;
const MODELS = ['alpha', 'beta'];

/** A score that depends on the answer, so equal results mean equal answers judged the same way. */
function scoreOf(answer: string): string {
  let hash = 0;
  for (const char of answer) hash = (hash * 31 + char.charCodeAt(0)) % 1009;
  return String(hash % 101);
}

describe.skipIf(missing !== undefined)(`judgekit run --queue${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let redis: TestRedisServer;
  let server: FakeLlmServer;
  let root: string;

  const env = (cache: string): Record<string, string> => ({
    OPENAI_API_KEY: KEY,
    OPENAI_BASE_URL: server.openaiBaseURL,
    JUDGEKIT_CACHE_DIR: join(root, cache),
    JUDGEKIT_QUEUE_LOCK_MS: '3000',
    JUDGEKIT_QUEUE_STALLED_MS: '1000',
  });

  const startWorker = async (cache: string): Promise<CliProcess> => {
    const worker = startJudgekit(['worker', '--queue', redis.url], env(cache));
    await waitFor(() => /judgekit worker: ready/.test(worker.stderr()) || worker.child.exitCode !== null, 60_000, 20);
    if (worker.child.exitCode !== null) throw new Error(`worker exited early: ${worker.stderr()}`);
    return worker;
  };

  beforeAll(async () => {
    redis = await startRedisServer();
    server = await startFakeLlmServer((request) => scoreOf(singlePromptAnswer(request.prompt) ?? ''));
    root = await mkdtemp(join(tmpdir(), 'judgekit-queue-study-'));
    await mkdir(join(root, 'models'));
    for (const [index, name] of MODELS.entries()) await createTinyGpt2({ ...TINY, dir: join(root, 'models'), name, seed: index + 1 });
    // 40 records: 34 train, 4 test, 2 validation.
    await writeFile(join(root, 'data.json'), JSON.stringify(Array.from({ length: 40 }, (_, i) => ({ instruction: `Name a colour (${i}).`, input: i % 2 ? `hint ${i}` : '', output: `blue ${i}` }))));
    await writeFile(join(root, 'tokens.bin'), new Uint16Array(Array.from({ length: 200 }, (_, i) => [11, 13, 262, 50256][i % 4] as number)));
    await writeFile(
      join(root, 'study.json'),
      JSON.stringify({
        device: 'cpu',
        models: MODELS.map((name) => ({ name, checkpoint: `models/${name}.safetensors`, options: { threads: 1 } })),
        loss: { data: 'tokens.bin', contextLength: 8, batchSize: 2 },
        dataset: { location: 'data.json' },
        finetune: { epochs: 2, batchSize: 8, learningRate: 0.001 },
        generation: { maxNewTokens: 6, batchSize: 2 },
        judges: [{ name: 'single', mode: 'single', judge: 'openai:judge-model' }, { mode: 'reference' }],
        reporters: [],
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await redis?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('gives the in-process results.json numbers, answers and fine-tuned weights with a coordinator and two workers, every stage sent as units', async () => {
    const inProcess = await runJudgekit(['run', join(root, 'study.json'), '--run-dir', join(root, 'in-process')], env('cache-in-process'), { timeoutMs: 240_000 });
    expect(inProcess.stderr).not.toMatch(/unexpected error/);
    expect(inProcess.code, inProcess.stderr).toBe(0);
    const callsInProcess = server.requests.length;
    // 4 test items x 2 models, each asked once.
    expect(callsInProcess).toBe(8);

    const workers = [await startWorker('cache-queued'), await startWorker('cache-queued')];
    let queued;
    try {
      queued = await runJudgekit(['run', join(root, 'study.json'), '--run-dir', join(root, 'queued'), '--queue', redis.url], env('cache-queued'), { timeoutMs: 240_000 });
    } finally {
      for (const worker of workers) worker.kill('SIGTERM');
      await Promise.all(workers.map((worker) => worker.done));
    }
    expect(queued.stderr).not.toMatch(/unexpected error/);
    expect(queued.code, queued.stderr).toBe(0);
    expect(queued.stderr).not.toMatch(/runs in this process/);
    // One abort listener per coordinator, not one per unit: a study's many units do not pile listeners on its signal.
    expect(queued.stderr).not.toMatch(/MaxListenersExceededWarning/);
    // The workers made the judge calls again (their own cache), as many as in process.
    expect(server.requests.length - callsInProcess).toBe(8);

    // Every stage went through the queue, its units made by the two workers: loss batches, one fine-tune per
    // model, generation chunks (and the units that open each model), judge items.
    const done = workers.flatMap((worker) => [...workerUnits(worker.stderr()).done]);
    const kinds = (prefix: string) => done.filter((id) => id.startsWith(`${prefix}-`)).length;
    expect(kinds('loss')).toBeGreaterThanOrEqual(2);
    expect(kinds('finetune')).toBe(2);
    expect(kinds('generate-info')).toBe(2);
    expect(kinds('generate') - kinds('generate-info')).toBeGreaterThanOrEqual(4);
    expect(kinds('judge')).toBeGreaterThanOrEqual(2);

    const results = async (dir: string) => JSON.parse(await readFile(join(root, dir, 'results.json'), 'utf8')) as RunResults;
    const [a, b] = [await results('in-process'), await results('queued')];
    // The numbers: every model's loss and every judge's score and interval, bit for bit.
    expect(b.models).toEqual(a.models);
    expect(b.judges).toEqual(a.judges);
    expect(b.items).toBe(a.items);
    expect(a.models.map((model) => model.loss)).toEqual([expect.any(Number), expect.any(Number)]);
    for (const name of MODELS) {
      const file = (dir: string, ...path: string[]) => readFile(join(root, dir, ...path));
      expect((await file('queued', 'answers', `${name}-ift-test-results.json`)).equals(await file('in-process', 'answers', `${name}-ift-test-results.json`))).toBe(true);
      expect((await file('queued', 'finetune', name, 'model.safetensors')).equals(await file('in-process', 'finetune', name, 'model.safetensors'))).toBe(true);
    }
    const loss = async (dir: string) => JSON.parse(await readFile(join(root, dir, 'loss.json'), 'utf8')) as unknown;
    expect(await loss('queued')).toEqual(await loss('in-process'));
  }, 600_000);
});

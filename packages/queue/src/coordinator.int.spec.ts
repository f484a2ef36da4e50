// The coordinator and a worker in one process on a real redis-server, with a stub judge: JudgeRunner writes the
// run directory from the workers' results, the progress line counts units and workers, and finished units are
// removed from Redis once their judgments are in the run directory.
import { decodeLog, JudgeRunner, loadAnswerFiles, type Judge, type JudgmentRecord } from '@judgekit/core';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JudgeQueueCoordinator } from './coordinator.js';
import { queueStatus } from './status.js';
import { startJudgeWorker } from './worker.js';
import { redisTestSkipReason, startRedisServer, type TestRedisServer } from './testing/index.js';

const ITEMS = 10;
const missing = redisTestSkipReason();

/** Scores each answer by its length: deterministic, no calls. */
function stubJudge(): Judge {
  return {
    mode: 'stub',
    description: { mode: 'stub', provider: 'none', model: 'length' },
    async scoreItem(input) {
      return { index: input.index, repeat: input.repeat, scores: input.answers.map((answer) => ({ model: answer.model, score: (answer.response.length * (input.repeat + 1)) % 101 })), calls: 0, cachedCalls: 0, tokenUsage: { prompt: 0, completion: 0 }, attempts: 1 };
    },
  };
}

function slowStubJudge(delayMs: number): Judge {
  const judge = stubJudge();
  return { ...judge, scoreItem: async (input) => (await new Promise((resolve) => setTimeout(resolve, delayMs)), judge.scoreItem(input)) };
}

describe.skipIf(missing !== undefined)(`JudgeQueueCoordinator${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let redis: TestRedisServer;
  let root: string;
  let files: string[];

  beforeAll(async () => {
    redis = await startRedisServer();
    root = await mkdtemp(join(tmpdir(), 'judgekit-coordinator-'));
    files = [];
    for (const model of ['one', 'two']) {
      const file = join(root, `${model}-ift-test-results.json`);
      await writeFile(file, JSON.stringify(Array.from({ length: ITEMS }, (_, i) => ({ instruction: `task ${i}`, input: '', output: `ref ${i}`, model_response: `${model} answer ${'x'.repeat(i)}` }))));
      files.push(file);
    }
  });

  afterAll(async () => {
    await redis?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('writes the same judgments as an in-process run, shows units and workers in the progress line, and leaves no finished unit in Redis', async () => {
    const answers = await loadAnswerFiles(files);
    const inProcessDir = join(root, 'in-process');
    await new JudgeRunner().run({ answers, judge: stubJudge(), outDir: inProcessDir, repeats: 2, progress: { enabled: false } });

    const worker = await startJudgeWorker({ url: redis.url, buildJudge: async () => ({ judge: stubJudge(), itemsInFlight: 4 }) });
    const outDir = join(root, 'queued');
    // The worker reads the answer files and checks them against these checksums.
    const answerFiles = await Promise.all(files.map(async (path) => ({ path, sha256: createHash('sha256').update(await readFile(path)).digest('hex') })));
    let progress = '';
    const stream = new Writable({ write: (chunk, _encoding, done) => ((progress += String(chunk)), done()) }) as unknown as NodeJS.WriteStream;
    try {
      const coordinator = await JudgeQueueCoordinator.open({ url: redis.url, unitSize: 4, pollMs: 50, unit: { runDir: outDir, judge: { name: 'stub', settings: { mode: 'stub' }, plugins: [], pluginBaseDir: root, cacheDir: join(root, 'cache') }, template: 'book', answerFiles, models: ['one', 'two'] } });
      try {
        // Let the poller count the worker before the first unit comes back.
        await new Promise((resolve) => setTimeout(resolve, 200));
        const summary = await new JudgeRunner().run({ answers, judge: coordinator.remote(stubJudge()), outDir, repeats: 2, itemsInFlight: Number.MAX_SAFE_INTEGER, progress: { stream, enabled: true, status: () => coordinator.status() } });
        expect(summary.interrupted).toBe(false);
        // 10 items in units of 4, for each of 2 repeats: 3 + 3 units.
        expect(coordinator.unitsTotal).toBe(6);
        expect(progress).toMatch(/judge stub 20\/20 judgments \| [\d.]+\/s \| ETA \S+ \| units 6\/6 \| 1 worker/);
        await coordinator.forgetFinished();
      } finally {
        await coordinator.close();
      }
      const read = async (dir: string) => Object.fromEntries([...decodeLog<JudgmentRecord>(await readFile(join(dir, 'judgments.jsonl'), 'utf8')).entries].map(([key, record]) => [key, { scores: record.scores, inputs: record.inputs }]));
      expect(await read(outDir)).toEqual(await read(inProcessDir));
      expect(await readFile(join(outDir, 'results.json'), 'utf8')).toBe(await readFile(join(inProcessDir, 'results.json'), 'utf8'));
      expect((await queueStatus(redis.url)).counts).toMatchObject({ waiting: 0, active: 0, completed: 0, failed: 0 });
    } finally {
      await worker.close();
    }
  });

  it('settles each of 200 one-item units with its result while the coordinator looks unfinished units up every few milliseconds', async () => {
    // Units of one item that take 5 ms, looked up all the time: a unit that finishes between reading its state and
    // reading its job must not be taken for finished without a result.
    const many = 200;
    const file = join(root, `many-ift-test-results.json`);
    await writeFile(file, JSON.stringify(Array.from({ length: many }, (_, i) => ({ instruction: `task ${i}`, input: '', output: '', model_response: 'y'.repeat(i % 50) }))));
    const answers = await loadAnswerFiles([file]);
    const workers = await Promise.all([0, 1].map(() => startJudgeWorker({ url: redis.url, units: 16, buildJudge: async () => ({ judge: slowStubJudge(5), itemsInFlight: 1 }) })));
    const outDir = join(root, 'many');
    const sha256 = createHash('sha256').update(await readFile(file)).digest('hex');
    const coordinator = await JudgeQueueCoordinator.open({ url: redis.url, unitSize: 1, pollMs: 1, unit: { runDir: outDir, judge: { name: 'stub', settings: { mode: 'stub' }, plugins: [], pluginBaseDir: root, cacheDir: join(root, 'cache') }, template: 'book', answerFiles: [{ path: file, sha256 }], models: ['many'] } });
    try {
      const summary = await new JudgeRunner().run({ answers, judge: coordinator.remote(stubJudge()), outDir, itemsInFlight: Number.MAX_SAFE_INTEGER, progress: { enabled: false } });
      expect(summary.newJudgments).toBe(many);
      expect(coordinator.unitsDone).toBe(many);
    } finally {
      await coordinator.close();
      await Promise.all(workers.map((worker) => worker.close()));
    }
  });
});

// Files by URL (JUDGEKIT_SHARED_FILES_URL on the coordinator): a worker (its own HOME and cache) that does not see
// a checkpoint at its path downloads it, with the files beside it (its config, a Llama checkpoint's tokenizer.json),
// from a small HTTP server into <cache>/queue-files/<sha256>/, verified against the coordinator's checksums; so the
// queued loss is the in-process one bit for bit and the queued answers the in-process ones byte for byte. A server
// that serves other bytes fails the unit, naming the URL and both checksums.
import { createTinyGpt2, createTinyLlama, type TinyLlama } from '@judgekit/backends/testing';
import { redisTestSkipReason, startRedisServer, type TestRedisServer } from '@judgekit/queue/testing';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJudgekit, startJudgekit, waitFor, type CliProcess } from './support/cli-process.js';

const missing = redisTestSkipReason();
const RECORDS = 6;

const sha256 = async (path: string): Promise<string> => createHash('sha256').update(await readFile(path)).digest('hex');

describe.skipIf(missing !== undefined)(`queue workers reading files by URL${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let redis: TestRedisServer;
  let root: string;
  /** The coordinator's models folder, served at `${base}/` from a copy (`served`), as a file server on another machine would. */
  let models: string;
  let served: string;
  let server: Server;
  let base: string;
  /** Bytes served instead of the copy's, by URL path. */
  const overrides = new Map<string, string>();
  const requests: string[] = [];
  let workerCache: string;
  let workerHome: string;
  let tiny: TinyLlama;
  let data: string;

  const env: Record<string, string> = { JUDGEKIT_QUEUE_LOCK_MS: '3000', JUDGEKIT_QUEUE_STALLED_MS: '1000' };
  const coordinatorEnv = (): Record<string, string> => ({ ...env, JUDGEKIT_SHARED_FILES_URL: `${models}=${base}` });

  const startWorker = async (): Promise<CliProcess> => {
    const worker = startJudgekit(['worker', '--queue', redis.url], { ...env, HOME: workerHome, JUDGEKIT_CACHE_DIR: workerCache });
    await waitFor(() => /judgekit worker: ready/.test(worker.stderr()) || worker.child.exitCode !== null, 60_000, 20);
    if (worker.child.exitCode !== null) throw new Error(`worker exited early: ${worker.stderr()}`);
    return worker;
  };

  const waitingUnits = async (): Promise<number> => {
    const status = await runJudgekit(['queue', 'status', '--queue', redis.url, '--json'], env);
    return status.code === 0 ? ((JSON.parse(status.stdout) as { model: { counts: Record<string, number> } }).model.counts.waiting ?? 0) : 0;
  };

  beforeAll(async () => {
    redis = await startRedisServer();
    root = await mkdtemp(join(tmpdir(), 'judgekit-queue-files-url-'));
    models = join(root, 'models');
    served = join(root, 'served');
    workerCache = join(root, 'worker-cache');
    workerHome = join(root, 'worker-home');
    await mkdir(workerHome, { recursive: true });
    await mkdir(join(models, 'gpt 2'), { recursive: true });
    await createTinyGpt2({ dir: join(models, 'gpt 2'), name: 'tiny', vocabSize: 50257, contextLength: 16, embDim: 8, nLayers: 1, nHeads: 2, naming: 'book' });
    tiny = await createTinyLlama({ dir: join(models, 'tiny-llama'), seed: 7, contextLength: 64, nHeads: 4, nKvHeads: 2 });
    await writeFile(join(models, 'held-out.txt'), Array.from({ length: 24 }, (_, i) => `Document ${i} talks about colours, numbers and the weather.`).join('<|endoftext|>'));
    data = join(root, 'held-out.txt');
    await writeFile(data, Array.from({ length: 24 }, (_, i) => `Document ${i} talks about colours, numbers and the weather.`).join('<|endoftext|>'));
    await cp(models, served, { recursive: true });
    server = createServer((request, response) => {
      const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
      requests.push(path);
      const body = overrides.get(path);
      if (body !== undefined) {
        response.writeHead(200).end(body);
        return;
      }
      readFile(join(served, path)).then(
        (bytes) => response.writeHead(200, { 'content-length': bytes.byteLength }).end(bytes),
        () => response.writeHead(404, 'Not Found').end(),
      );
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 90_000);

  afterAll(async () => {
    if (server) await new Promise((done) => server.close(done));
    await redis?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('scores a checkpoint moved away from its path on the worker by downloading it and its config, bit for bit the in-process loss', async () => {
    const checkpoint = join(models, 'gpt 2', 'tiny.safetensors');
    const config = join(models, 'gpt 2', 'tiny.json');
    const args = ['loss', checkpoint, data, '--device', 'cpu', '--batch-size', '2', '--json'];
    const inProcess = await runJudgekit(args, env);
    expect(inProcess.stderr).not.toMatch(/unexpected error/);
    expect(inProcess.code).toBe(0);
    const checkpointSha = await sha256(checkpoint);

    const coordinator = startJudgekit([...args, '--queue', redis.url, '--unit-batches', '3'], coordinatorEnv());
    await waitFor(async () => (await waitingUnits()) === 1 || coordinator.child.exitCode !== null, 60_000, 200);
    // The worker's machine has neither the checkpoint nor its config at the coordinator's path.
    await rename(checkpoint, `${checkpoint}.away`);
    await rename(config, `${config}.away`);
    const worker = await startWorker();
    try {
      const queued = await coordinator.done;
      expect(queued.stderr).not.toMatch(/unexpected error/);
      expect(queued.code).toBe(0);
      const local = JSON.parse(inProcess.stdout) as Record<string, unknown>;
      const remote = JSON.parse(queued.stdout) as Record<string, unknown>;
      // Bit for bit: the float64 numbers compared with Object.is, not a tolerance.
      expect(remote.loss).toBe(local.loss);
      expect({ ...remote, seconds: 0 }).toEqual({ ...local, seconds: 0 });
      // Downloaded once into the worker's cache (URL-encoded path), beside each other under their own names.
      const folder = join(workerCache, 'queue-files', checkpointSha);
      expect((await readdir(folder)).sort()).toEqual(['tiny.json', 'tiny.safetensors']);
      expect(await sha256(join(folder, 'tiny.safetensors'))).toBe(checkpointSha);
      expect(requests.filter((path) => path === '/gpt 2/tiny.safetensors')).toHaveLength(1);
      expect(requests.filter((path) => path === '/gpt 2/tiny.json')).toHaveLength(1);
    } finally {
      worker.kill('SIGTERM');
      await worker.done;
      await rename(`${checkpoint}.away`, checkpoint);
      await rename(`${config}.away`, config);
    }
  }, 180_000);

  it('fails the unit naming the URL and both checksums when the server serves other bytes than the coordinator has', async () => {
    const dataPath = join(models, 'held-out.txt');
    const realSha = await sha256(dataPath);
    const otherBytes = 'Not the held-out text the coordinator hashed.';
    overrides.set('/held-out.txt', otherBytes);
    const otherSha = createHash('sha256').update(otherBytes).digest('hex');
    const coordinator = startJudgekit(['loss', join(models, 'gpt 2', 'tiny.safetensors'), dataPath, '--device', 'cpu', '--batch-size', '2', '--queue', redis.url, '--json'], coordinatorEnv());
    await waitFor(async () => (await waitingUnits()) === 1 || coordinator.child.exitCode !== null, 60_000, 200);
    await rename(dataPath, `${dataPath}.away`);
    const worker = await startWorker();
    try {
      const result = await coordinator.done;
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`data file ${dataPath} downloaded from ${base}/held-out.txt on worker`);
      expect(result.stderr).toContain(`sha256 ${otherSha} from the URL, ${realSha} on the coordinator`);
      await expect(readdir(join(workerCache, 'queue-files', realSha))).resolves.toEqual([]);
    } finally {
      worker.kill('SIGTERM');
      await worker.done;
      await rename(`${dataPath}.away`, dataPath);
      overrides.clear();
    }
  }, 180_000);

  it("downloads a Llama checkpoint's folder when its tokenizer.json is missing on the worker, and answers byte for byte as in process", async () => {
    const dataset = join(root, 'alpaca.json');
    await writeFile(dataset, JSON.stringify(Array.from({ length: RECORDS }, (_, i) => ({ instruction: `Name the colour of item ${i}.`, input: i % 2 ? `hint ${i}` : '', output: `blue ${i}` }))));
    const args = (out: string): string[] => ['generate', tiny.checkpointPath, '--dataset', dataset, '--split', 'all', '--batch-size', '2', '--max-new-tokens', '8', '--device', 'cpu', '--out', out, '--quiet'];
    const inProcessOut = join(root, 'in-process');
    const inProcess = await runJudgekit(args(inProcessOut), env);
    expect(inProcess.stderr).not.toMatch(/unexpected error/);
    expect(inProcess.code).toBe(0);

    const tokenizer = join(models, 'tiny-llama', 'tokenizer.json');
    const queuedOut = join(root, 'queued');
    const coordinator = startJudgekit([...args(queuedOut), '--queue', redis.url], coordinatorEnv());
    // The coordinator has read the tokenizer (it encodes the prompts) and waits for the worker to open the model.
    await waitFor(async () => (await waitingUnits()) === 1 || coordinator.child.exitCode !== null, 60_000, 200);
    await rename(tokenizer, `${tokenizer}.away`);
    const worker = await startWorker();
    try {
      const queued = await coordinator.done;
      expect(queued.stderr).not.toMatch(/unexpected error/);
      expect(queued.code).toBe(0);
      const answers = async (out: string): Promise<string> => {
        const file = (await readdir(out)).find((name) => name.endsWith('-ift-test-results.json'));
        if (!file) throw new Error(`no answer file in ${out}`);
        return readFile(join(out, file), 'utf8');
      };
      const local = await answers(inProcessOut);
      expect(JSON.parse(local)).toHaveLength(RECORDS);
      expect(await answers(queuedOut)).toBe(local);
      const folder = join(workerCache, 'queue-files', await sha256(tiny.checkpointPath));
      expect(await sha256(join(folder, 'tokenizer.json'))).toBe(await sha256(`${tokenizer}.away`));
      expect(requests).toContain('/tiny-llama/tokenizer.json');
    } finally {
      worker.kill('SIGTERM');
      await worker.done;
      await rename(`${tokenizer}.away`, tokenizer);
    }
  }, 180_000);
});

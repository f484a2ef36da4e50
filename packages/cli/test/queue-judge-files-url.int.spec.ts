// Answer files by URL: with JUDGEKIT_SHARED_FILES_URL on the coordinator, a `judgekit judge --queue` worker (its
// own file cache) that lacks an answer file at its path downloads it, checked against the coordinator's checksum,
// and the judgments are those of an in-process run.
import { redisTestSkipReason } from '@judgekit/queue/testing';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { cp, readFile, readdir, rename } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { basename, dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJudgekit, startJudgekit, waitFor, type CliProcess } from './support/cli-process.js';
import { fixtureBatchedReply } from './support/judge-fixture.js';
import { judgeArgs, queueEnv, readJudgments, scoresByKey, startQueueFixture, startWorker, type QueueFixture } from './support/queue-fixture.js';

const ITEMS = 6;
const missing = redisTestSkipReason();

describe.skipIf(missing !== undefined)(`judgekit worker reading answer files by URL${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let fixture: QueueFixture;
  let server: Server;
  let base: string;
  const requests: string[] = [];

  beforeAll(async () => {
    fixture = await startQueueFixture(ITEMS, 10);
    // What a file server on another machine would serve: a copy of the coordinator's folder.
    const served = join(fixture.root, 'served');
    for (const file of fixture.answerFiles) await cp(file, join(served, relative(fixture.root, file)), { recursive: true });
    server = createServer((request, response) => {
      const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
      requests.push(path);
      readFile(join(served, path.replace(/^\/answers\//, ''))).then(
        (bytes) => response.writeHead(200).end(bytes),
        () => response.writeHead(404, 'Not Found').end(),
      );
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/answers`;
  });

  afterAll(async () => {
    if (server) await new Promise((done) => server.close(done));
    await fixture?.close();
  });

  it('downloads an answer file missing at its path on the worker and gives the in-process judgments', async () => {
    const inProcessOut = join(fixture.root, 'in-process');
    const inProcess = await runJudgekit(judgeArgs(fixture, inProcessOut, 2), queueEnv(fixture, join(fixture.root, 'cache-in-process')));
    expect(inProcess.code).toBe(0);

    // The judge answers the queued run's calls only once the test lets it.
    let release = (): void => undefined;
    const gate = new Promise<void>((done) => {
      release = done;
    });
    fixture.server.setScript(async (request) => {
      await gate;
      return { text: fixtureBatchedReply(request.prompt), delayMs: 10 };
    });
    const env = queueEnv(fixture, join(fixture.root, 'cache'));
    const outDir = join(fixture.root, 'run');
    const coordinator = startJudgekit(judgeArgs(fixture, outDir, 2, ['--queue', fixture.redis.url, '--unit-size', '3']), { ...env, JUDGEKIT_SHARED_FILES_URL: `${fixture.root}=${base}` });
    await waitFor(async () => {
      const status = await runJudgekit(['queue', 'status', '--queue', fixture.redis.url, '--json'], env);
      return (status.code === 0 && (JSON.parse(status.stdout) as { counts: { waiting: number } }).counts.waiting === 2) || coordinator.child.exitCode !== null;
    }, 60_000, 200);
    const file = fixture.answerFiles[1] as string;
    const sha256 = createHash('sha256').update(await readFile(file)).digest('hex');
    await rename(file, `${file}.away`);
    const workerCache = join(fixture.root, 'worker-files');
    const downloaded = join(workerCache, 'queue-files', sha256, basename(file));
    let worker: CliProcess | undefined;
    try {
      worker = await startWorker(fixture, { ...env, JUDGEKIT_CACHE_DIR: workerCache });
      // The coordinator reads the file again for run.json once the units are in: put it back (and let the judge
      // answer) only once the worker has downloaded it.
      await waitFor(async () => (await readdir(dirname(downloaded)).catch((): string[] => [])).includes(basename(file)) || coordinator.child.exitCode !== null, 60_000, 20);
      await rename(`${file}.away`, file);
      release();
      const result = await coordinator.done;
      expect(result.stderr).not.toMatch(/unexpected error/);
      expect(result.code, result.stderr).toBe(0);
      expect(scoresByKey(await readJudgments(outDir))).toEqual(scoresByKey(await readJudgments(inProcessOut)));
      expect((await readJudgments(outDir)).size).toBe(ITEMS);
      expect(await readdir(join(workerCache, 'queue-files', sha256))).toEqual([basename(file)]);
      expect(requests).toEqual([`/answers/${basename(file)}`]);
    } finally {
      worker?.kill('SIGKILL');
      await worker?.done;
      release();
      await rename(`${file}.away`, file).catch(() => undefined);
    }
  }, 120_000);
});

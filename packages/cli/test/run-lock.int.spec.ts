// Two processes, one run directory: a second `judgekit judge` started while the first is waiting on the judge
// server stops with a message naming the directory and the first process, and the server sees no duplicate
// call. Ctrl-C removes the lock; a lock left by a dead process is taken over; --force-lock takes one from a live
// process; `judgekit run` holds the lock too.
import { hostname, tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_LOCK_FILE } from '@judgekit/core';
import { startFakeLlmServer, type FakeLlmServer } from '@judgekit/judges/testing';
import { runJudgekit, startJudgekit, waitFor } from './support/cli-process.js';
import { fixtureBatchedReply, itemOfPrompt, writeFixtureAnswers } from './support/judge-fixture.js';
import { runMain } from './support/run-main.js';

const ITEMS = 4;
const KEY = 'sk-run-lock-test-not-a-real-key';

let server: FakeLlmServer;
let root: string;
let answerFiles: string[];
let openGate: () => void = () => undefined;

beforeAll(async () => {
  // Every reply waits for the gate: the first process is certainly still running while the second one starts.
  const gate = new Promise<void>((resolve) => (openGate = resolve));
  server = await startFakeLlmServer(async (request) => {
    await gate;
    return fixtureBatchedReply(request.prompt);
  });
  root = await mkdtemp(join(tmpdir(), 'judgekit-run-lock-'));
  answerFiles = await writeFixtureAnswers(root, ITEMS);
});

afterAll(async () => {
  openGate();
  await server?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

async function plantLock(dir: string, pid: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, RUN_LOCK_FILE), JSON.stringify({ pid, hostname: hostname(), startedAt: '2026-01-01T00:00:00.000Z', command: 'judgekit judge --mode reference --out planted', token: 'planted' }));
}

const referenceArgs = (out: string, ...extra: string[]) => ['judge', '--mode', 'reference', '--out', out, ...extra, ...answerFiles];

describe('one process per run directory', () => {
  it('a second `judgekit judge` on a run directory in use fails with a message naming it and the first process, and no call is made twice', async () => {
    const out = join(root, 'shared-run');
    const args = ['judge', '--mode', 'batched', '--judge', 'openai:lock-judge', '--out', out, '--concurrency', '1', ...answerFiles];
    const env = { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.openaiBaseURL, JUDGEKIT_CACHE_DIR: join(root, 'cache') };
    const first = startJudgekit(args, env);
    try {
      await waitFor(() => server.requests.length >= 1, 60_000);
      const second = await runJudgekit(args, env);
      expect(second.code, second.stderr).toBe(1);
      expect(second.stderr).toContain(`judgekit judge: The run directory ${out} is in use by another judgekit process: pid ${first.child.pid} on ${hostname()}, started `);
      expect(second.stderr).toContain(`judgekit judge --mode batched --judge openai:lock-judge --out ${out}`);
      expect(second.stderr).toMatch(/Wait for it to finish \(or stop it\), then rerun; or use another directory\. If you are sure it is not running, rerun with --force-lock/);
      expect(server.requests).toHaveLength(1);
    } finally {
      openGate();
    }
    const result = await first.done;
    expect(result.code, result.stderr).toBe(0);
    // One call per item, from the first process only.
    const items = server.requests.map((request) => itemOfPrompt(request.prompt)).sort((a, b) => a - b);
    expect(items).toEqual(Array.from({ length: ITEMS }, (_, i) => i));
    expect(await readdir(out)).not.toContain(RUN_LOCK_FILE);
  }, 120_000);

  it('Ctrl-C of a `judgekit judge` waiting on the judge exits 130 and removes its lock', async () => {
    const hanging = await startFakeLlmServer(() => ({ hang: true }));
    try {
      const out = join(root, 'interrupted-run');
      const env = { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: hanging.openaiBaseURL, JUDGEKIT_CACHE_DIR: join(root, 'cache-interrupted') };
      const first = startJudgekit(['judge', '--mode', 'batched', '--judge', 'openai:lock-judge', '--out', out, ...answerFiles], env);
      await waitFor(() => hanging.requests.length >= 1, 60_000);
      expect(await readdir(out)).toContain(RUN_LOCK_FILE);
      first.kill('SIGINT');
      const result = await first.done;
      expect(result.code, result.stderr).toBe(130);
      expect(await readdir(out)).not.toContain(RUN_LOCK_FILE);
    } finally {
      await hanging.close();
    }
  }, 120_000);

  it('a lock left by a process that is no longer running is taken over with a notice, and removed at the end', async () => {
    const out = join(root, 'stale-run');
    const dead = spawnSync(process.execPath, ['-e', ''], { stdio: 'ignore' }).pid as number;
    await plantLock(out, dead);
    const result = await runJudgekit(referenceArgs(out), {});
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`judgekit judge: taking over the stale lock of ${out}: its holder (pid ${dead} on ${hostname()}, started 2026-01-01T00:00:00.000Z: judgekit judge --mode reference --out planted) is no longer running.`);
    expect(await readdir(out)).toContain('results.json');
    expect(await readdir(out)).not.toContain(RUN_LOCK_FILE);
  }, 120_000);

  it('a lock held by a live process stops `judgekit judge` unless --force-lock is given', async () => {
    const out = join(root, 'forced-run');
    // The test runner itself is the live holder.
    await plantLock(out, process.pid);
    const refused = await runJudgekit(referenceArgs(out), {});
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`is in use by another judgekit process: pid ${process.pid}`);
    expect(await readdir(out)).not.toContain('results.json');

    const forced = await runJudgekit(referenceArgs(out, '--force-lock'), {});
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toContain(`judgekit judge: --force-lock: taking over the lock of ${out} from pid ${process.pid}`);
    expect(await readdir(out)).toContain('results.json');
    expect(await readdir(out)).not.toContain(RUN_LOCK_FILE);
  }, 120_000);

  it('`judgekit run` refuses a run directory locked by a live process, and runs and releases it otherwise', async () => {
    const study = join(root, 'study.json');
    await writeFile(study, JSON.stringify({ runDir: 'study-run', models: answerFiles.map((file, i) => ({ name: `m${i}`, answers: file })), judges: [{ mode: 'reference' }] }));
    const out = join(root, 'study-run');
    await plantLock(out, process.pid);
    const refused = await runMain(['run', study], { cwd: root });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`judgekit run: The run directory ${out} is in use by another judgekit process: pid ${process.pid}`);
    await rm(join(out, RUN_LOCK_FILE));
    const ran = await runMain(['run', study], { cwd: root });
    expect(ran.code, ran.stderr).toBe(0);
    expect(await readdir(out)).not.toContain(RUN_LOCK_FILE);
  }, 120_000);
});

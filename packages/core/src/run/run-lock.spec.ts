import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JudgekitError } from '../errors.js';
import { acquireRunLock, RUN_LOCK_FILE, type RunLockHolder } from './run-lock.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'judgekit-run-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The pid of a process that has exited (its number is very unlikely to be reused within the test). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', ''], { stdio: 'ignore' });
  expect(child.status).toBe(0);
  return child.pid as number;
}

async function plantLock(holder: Partial<RunLockHolder>): Promise<void> {
  await writeFile(join(dir, RUN_LOCK_FILE), JSON.stringify({ pid: 1, hostname: hostname(), startedAt: '2026-01-01T00:00:00.000Z', command: 'judgekit judge --out x', token: 'planted', ...holder }));
}

const exists = (path: string) => stat(path).then(
  () => true,
  () => false,
);

describe('acquireRunLock', () => {
  it('creates the lock file with pid, host, start time and command, and release removes it', async () => {
    const lock = await acquireRunLock(join(dir, 'new-run'), { command: 'judgekit judge --out new-run' });
    const holder = JSON.parse(await readFile(lock.path, 'utf8')) as RunLockHolder;
    expect(holder).toMatchObject({ pid: process.pid, hostname: hostname(), command: 'judgekit judge --out new-run' });
    expect(Number.isNaN(Date.parse(holder.startedAt))).toBe(false);
    lock.release();
    expect(await exists(lock.path)).toBe(false);
    lock.release(); // twice is harmless
  });

  it('refuses a second holder with an error naming the directory, the holder and what to do', async () => {
    const first = await acquireRunLock(dir, { command: 'judgekit judge --mode batched --out run' });
    const error = await acquireRunLock(dir, { command: 'judgekit judge --out run' }).catch((e: unknown) => e);
    expect(JudgekitError.is(error, 'run-store')).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain(`The run directory ${dir} is in use by another judgekit process: pid ${process.pid} on ${hostname()}, started ${first.holder.startedAt}: judgekit judge --mode batched --out run.`);
    expect(message).toContain('Wait for it to finish (or stop it), then rerun');
    expect(message).toContain(`rerun with --force-lock (or delete ${join(dir, RUN_LOCK_FILE)})`);
    first.release();
    (await acquireRunLock(dir, { command: 'again' })).release();
  });

  it('takes over a stale lock whose holder is no longer running on this host, with a notice', async () => {
    const pid = deadPid();
    await plantLock({ pid });
    const notices: string[] = [];
    const lock = await acquireRunLock(dir, { command: 'judgekit run study.json', notify: (message) => notices.push(message) });
    expect(notices).toEqual([`taking over the stale lock of ${dir}: its holder (pid ${pid} on ${hostname()}, started 2026-01-01T00:00:00.000Z: judgekit judge --out x) is no longer running.`]);
    expect((JSON.parse(await readFile(lock.path, 'utf8')) as RunLockHolder).pid).toBe(process.pid);
    lock.release();
  });

  it.runIf(existsSync('/proc/self/stat'))('takes over the lock of a killed holder that is a zombie not yet reaped (an orphan in a container)', async () => {
    // The background sleep ends after its parent shell has exec'd the long `sleep`, which never reaps it: a zombie.
    const parent = spawn('sh', ['-c', 'sleep 0.2 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = Number(await new Promise<string>((resolvePid) => parent.stdout.once('data', (chunk: Buffer) => resolvePid(chunk.toString()))));
      for (let i = 0; i < 500 && !/\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); i++) await new Promise((r) => setTimeout(r, 10));
      expect(readFileSync(`/proc/${pid}/stat`, 'utf8')).toMatch(/\) Z/);
      expect(() => process.kill(pid, 0)).not.toThrow(); // signal 0 alone would call it alive
      await plantLock({ pid });
      const notices: string[] = [];
      const lock = await acquireRunLock(dir, { command: 'rerun', notify: (message) => notices.push(message) });
      expect(notices[0]).toMatch(/^taking over the stale lock/);
      lock.release();
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('refuses a lock held on another host, which it cannot check, unless forced', async () => {
    await plantLock({ pid: deadPid(), hostname: 'some-other-host' });
    await expect(acquireRunLock(dir, { command: 'c' })).rejects.toThrowError(/is locked by a judgekit process on another host \(some-other-host\), which this one cannot check/);
    const notices: string[] = [];
    const lock = await acquireRunLock(dir, { command: 'c', force: true, notify: (message) => notices.push(message) });
    expect(notices[0]).toMatch(/^--force-lock: taking over the lock of .* from pid \d+ on some-other-host/);
    lock.release();
  });

  it('with force takes the lock from a live holder, whose later release leaves the new lock alone', async () => {
    const first = await acquireRunLock(dir, { command: 'first' });
    const second = await acquireRunLock(dir, { command: 'second', force: true });
    first.release();
    expect((JSON.parse(await readFile(second.path, 'utf8')) as RunLockHolder).command).toBe('second');
    second.release();
    expect(await exists(second.path)).toBe(false);
  });

  it('locks parts of a directory separately by name', async () => {
    const a = await acquireRunLock(dir, { command: 'a', name: 'answers-a' });
    const b = await acquireRunLock(dir, { command: 'b', name: 'answers-b' });
    await expect(acquireRunLock(dir, { command: 'a again', name: 'answers-a' })).rejects.toThrowError(/is in use by another judgekit process/);
    expect(a.path).toBe(join(dir, '.judgekit-answers-a.lock'));
    a.release();
    b.release();
  });

  it('is released when the process exits through process.exit (as after a second Ctrl-C)', async () => {
    const source = resolve(dirname(fileURLToPath(import.meta.url)), 'run-lock.ts');
    const script = `import { acquireRunLock } from ${JSON.stringify(source)}; await acquireRunLock(${JSON.stringify(dir)}, { command: 'child' }); console.log('locked'); process.exit(130);`;
    const child = spawnSync(process.execPath, ['--import', 'tsx/esm', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.stdout.trim(), child.stderr).toBe('locked');
    expect(child.status).toBe(130);
    expect(await exists(join(dir, RUN_LOCK_FILE))).toBe(false);
  });
});

// SIGINT and SIGTERM never leave a half-written file: a command that honours the stop removes its temporary
// file as its write fails; one that does not is exited after the grace period (SIGTERM) or at a second signal,
// and the exit removes the temporaries of writes in progress.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, waitFor } from './support/cli-process.js';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'judgekit-signals-'));
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

async function stopMidWrite(name: string, mode: 'honour' | 'ignore', signals: NodeJS.Signals[]): Promise<{ code: number | null; stdout: string; files: string[] }> {
  const dir = join(root, name);
  await mkdir(dir);
  const child = spawn(process.execPath, ['--conditions=@judgekit/source', '--import', 'tsx/esm', 'packages/cli/test/support/slow-atomic-write.ts', join(dir, 'out.json'), mode], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const done = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  await waitFor(() => stdout.includes('writing'), 30_000);
  expect((await readdir(dir)).some((file) => file.endsWith('.tmp'))).toBe(true);
  for (const signal of signals) {
    child.kill(signal);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { code: await done, stdout, files: await readdir(dir) };
}

describe('stopping the CLI mid-write', () => {
  it('SIGTERM to a command that honours its AbortSignal: the write fails and its temporary file is gone', async () => {
    const result = await stopMidWrite('honour', 'honour', ['SIGTERM']);
    expect(result.stdout).toMatch(/write failed: stopped/);
    expect(result.code).toBe(3);
    expect(result.files).toEqual([]);
  });

  it('SIGTERM to a command that does not stop: it exits 143 after the grace period, removing the temporary file', async () => {
    const result = await stopMidWrite('term', 'ignore', ['SIGTERM']);
    expect(result.code).toBe(143);
    expect(result.files).toEqual([]);
  });

  it('a second SIGINT exits at once (130), removing the temporary file', async () => {
    const result = await stopMidWrite('int', 'ignore', ['SIGINT', 'SIGINT']);
    expect(result.code).toBe(130);
    expect(result.files).toEqual([]);
  });
});

import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sweepStaleTemporaries, writeFileAtomic } from './atomic-write.js';

/** A pid no process has: above the kernel's pid_max (4,194,304 at most). */
const GONE = 4_194_305;

describe('atomic writes', () => {
  it('leave no temporary file behind when the write fails', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'judgekit-atomic-'));
    // The rename fails: the target is a folder.
    await mkdir(join(dir, 'target'));
    await expect(writeFileAtomic(join(dir, 'target'), 'data')).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['target']);
  });

  it('sweep the temporary files of processes that are gone, and keep a live one\'s and every other file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'judgekit-sweep-'));
    await mkdir(join(dir, 'finetune', 'small'), { recursive: true });
    const stale = [join(dir, `results.json.${GONE}.k2j3.tmp`), join(dir, 'finetune', 'small', `resume.safetensors.${GONE}.a1b2c3.tmp`)];
    const live = join(dir, `items.json.${process.pid}.zz9.tmp`);
    const kept = [join(dir, 'results.json'), join(dir, 'notes.tmp'), join(dir, 'x.12.tmp')];
    for (const path of [...stale, live, ...kept]) await writeFile(path, 'x');
    const removed = await sweepStaleTemporaries(dir);
    expect(removed.sort()).toEqual(stale.sort());
    for (const path of [live, ...kept]) expect(await readFile(path, 'utf8')).toBe('x');
    expect(await sweepStaleTemporaries(join(dir, 'no-such-folder'))).toEqual([]);
  });
});

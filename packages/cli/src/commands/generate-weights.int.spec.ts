// `judgekit generate` resumes answers by the weights' content: a model file replaced by other weights of the same
// size and with the same modification time (as `cp -p` or `rsync -t` leave it) has all its answers made again.
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearFileFingerprints } from '@judgekit/core';
import { createTinyGpt2 } from '@judgekit/backends/testing';
import { runMain } from '../../test/support/run-main.js';

let dir: string;
const TINY = { vocabSize: 50257, contextLength: 64, embDim: 8, nLayers: 1, nHeads: 2, naming: 'book', name: 'tiny' } as const;
const records = Array.from({ length: 20 }, (_, i) => ({ instruction: `Name a colour (${i}).`, input: i % 2 ? `hint ${i}` : '', output: `blue ${i}` }));
const cli = (argv: string[]) => runMain(argv, { cwd: dir });
const ARGS = ['--dataset', 'data.json', '--out', 'answers', '--max-new-tokens', '4', '--device', 'cpu', '--threads', '1', '-q'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'judgekit-cli-generate-weights-'));
  await writeFile(join(dir, 'data.json'), JSON.stringify(records));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('judgekit generate after the weights changed', () => {
  it('resumes no answer made by other weights, even with the same path, size and mtime, and says why', async () => {
    const { checkpointPath } = await createTinyGpt2({ ...TINY, dir, seed: 1 });
    // A whole-second mtime, so it can be set back exactly.
    const mtime = new Date(1_700_000_000_000);
    await utimes(checkpointPath, mtime, mtime);
    const first = await cli(['generate', checkpointPath, ...ARGS]);
    expect(first.code, first.stderr).toBe(0);
    const answers = JSON.parse(await readFile(join(dir, 'answers', 'tiny-ift-test-results.json'), 'utf8')) as Array<{ model_response: string }>;
    const before = await stat(checkpointPath);

    await createTinyGpt2({ ...TINY, dir, seed: 2 });
    await utimes(checkpointPath, mtime, mtime);
    const after = await stat(checkpointPath);
    expect([after.size, after.mtimeMs, after.ino]).toEqual([before.size, before.mtimeMs, before.ino]);
    // As a new judgekit process would: this one remembers the file's hash by path, size, mtime and inode.
    clearFileFingerprints();

    const again = await cli(['generate', checkpointPath, ...ARGS]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/2 answers \(2 generated/);
    expect(again.stderr).toMatch(/judgekit generate: 2 answers of "tiny" in \S+tiny\.generation\.jsonl were made by other weights \(sha256:[0-9a-f]{12}, now sha256:[0-9a-f]{12}\): generating them again/);
    const regenerated = JSON.parse(await readFile(join(dir, 'answers', 'tiny-ift-test-results.json'), 'utf8')) as Array<{ model_response: string }>;
    expect(regenerated).not.toEqual(answers);

    const third = await cli(['generate', checkpointPath, ...ARGS]);
    expect(third.stdout).toMatch(/0 generated .*2 resumed/);
    expect(third.stderr).toBe('');
  }, 60_000);
});

import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JudgekitError } from '../errors.js';
import { clearFileFingerprints, fileContentSha256, shortFingerprint, weightsFingerprint } from './file-fingerprint.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'judgekit-fingerprint-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

describe('fileContentSha256', () => {
  it('is the sha256 of the whole content of a file read in many chunks', async () => {
    // 3 MiB + 7 bytes: more than one 1 MiB read.
    const data = new Uint8Array(3 * 1024 * 1024 + 7).map((_, i) => (i * 31 + 7) % 251);
    const path = join(dir, 'big.bin');
    await writeFile(path, data);
    expect(await fileContentSha256(path)).toBe(sha256(data));
  });

  it('depends on the content, not the path: a copy hashes the same, an overwrite of the same size differently', async () => {
    const path = join(dir, 'weights.bin');
    await writeFile(path, 'weights one');
    const first = await fileContentSha256(path);
    await cp(path, join(dir, 'moved.bin'));
    expect(await fileContentSha256(join(dir, 'moved.bin'))).toBe(first);
    await writeFile(path, 'weights two');
    await utimes(path, new Date(), new Date(Date.now() + 5_000));
    const second = await fileContentSha256(path);
    expect(second).not.toBe(first);
    expect(second).toBe(sha256('weights two'));
  });

  it('hashes a file once per process: an edit that keeps size, mtime and inode is not seen until the memo is cleared', async () => {
    const path = join(dir, 'memo.bin');
    // A whole-second mtime, so setting it back is exact.
    const mtime = new Date(1_700_000_000_000);
    await writeFile(path, 'aaaa');
    await utimes(path, mtime, mtime);
    expect(await fileContentSha256(path)).toBe(sha256('aaaa'));
    await writeFile(path, 'bbbb');
    await utimes(path, mtime, mtime);
    expect(await fileContentSha256(path)).toBe(sha256('aaaa'));
    clearFileFingerprints();
    expect(await fileContentSha256(path)).toBe(sha256('bbbb'));
  });

  it('hashes a folder by its files\' relative paths and contents, hidden files left out', async () => {
    const folder = join(dir, 'checkpoint');
    await mkdir(join(folder, 'shards'), { recursive: true });
    await writeFile(join(folder, 'config.json'), '{"n_layer": 1}');
    await writeFile(join(folder, 'shards', 'model-1.safetensors'), 'tensor bytes');
    const first = await fileContentSha256(folder);
    await writeFile(join(folder, '.model.safetensors.123.abc.tmp'), 'half a write');
    expect(await fileContentSha256(folder)).toBe(first);
    await cp(folder, join(dir, 'elsewhere'), { recursive: true });
    expect(await fileContentSha256(join(dir, 'elsewhere'))).toBe(first);
    await writeFile(join(folder, 'shards', 'model-1.safetensors'), 'other tensor');
    expect(await fileContentSha256(folder)).not.toBe(first);
  });

  it('names the path it cannot read', async () => {
    const missing = join(dir, 'missing.safetensors');
    await expect(fileContentSha256(missing)).rejects.toThrow(JudgekitError);
    await expect(fileContentSha256(missing)).rejects.toThrow(`Cannot read ${missing} to fingerprint its content (ENOENT)`);
  });
});

describe('weightsFingerprint', () => {
  it('is the checkpoint\'s sha256, combined with the config\'s when a config file is named', async () => {
    const checkpoint = join(dir, 'ckpt.safetensors');
    const config = join(dir, 'ckpt.json');
    await writeFile(checkpoint, 'weights');
    await writeFile(config, '{"emb_dim": 8}');
    const alone = await weightsFingerprint({ path: checkpoint });
    expect(alone).toBe(`sha256:${sha256('weights')}`);
    const withConfig = await weightsFingerprint({ path: checkpoint, configPath: config });
    expect(withConfig).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(withConfig).not.toBe(alone);
    await writeFile(config, '{"emb_dim": 16}');
    await utimes(config, new Date(), new Date(Date.now() + 5_000));
    expect(await weightsFingerprint({ path: checkpoint, configPath: config })).not.toBe(withConfig);
    expect(shortFingerprint(alone)).toBe(`sha256:${sha256('weights').slice(0, 12)}`);
  });
});

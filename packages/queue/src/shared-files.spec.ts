// Files by URL: the coordinator adds a URL to files under JUDGEKIT_SHARED_FILES_URL's root; a worker that lacks a
// file at its path downloads it (with its companions beside it) into <cache>/queue-files/<sha256>/, verified.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnrecoverableError } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSharedFile, sharedCompanions, sharedFile, sharedFileUrl, type SharedFile } from './shared-files.js';

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('shared files by URL', () => {
  let root: string;
  let server: Server;
  let base: string;
  /** What the server answers, by URL path; requests counted by URL path. */
  const served = new Map<string, string>();
  const hits = new Map<string, number>();

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'judgekit-shared-files-'));
    server = createServer((request, response) => {
      const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
      hits.set(path, (hits.get(path) ?? 0) + 1);
      const body = served.get(path);
      if (body === undefined) {
        response.writeHead(404, 'Not Found').end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/files`;
  });

  afterAll(async () => {
    await new Promise((done) => server.close(done));
    await rm(root, { recursive: true, force: true });
  });

  const env = (): NodeJS.ProcessEnv => ({ JUDGEKIT_SHARED_FILES_URL: `${root}=${base}/` });

  it('adds the URL of a file under the root with URL-encoded segments, and none for a file outside it', async () => {
    await mkdir(join(root, 'my models'), { recursive: true });
    const path = join(root, 'my models', 'a#1.safetensors');
    await writeFile(path, 'weights');
    const file = await sharedFile(path, env());
    expect(file).toEqual({ path, sha256: sha('weights'), size: 7, url: `${base}/my%20models/a%231.safetensors` });
    expect(sharedFileUrl(join(tmpdir(), 'elsewhere.txt'), env())).toBeUndefined();
    expect(sharedFileUrl(path, {})).toBeUndefined();
    expect(() => sharedFileUrl(path, { JUDGEKIT_SHARED_FILES_URL: '/data/models' })).toThrow(/JUDGEKIT_SHARED_FILES_URL must be "<local folder>=<base URL>"/);
  });

  it('returns the path itself when the file is there with the coordinator checksum, without downloading', async () => {
    const path = join(root, 'here.txt');
    await writeFile(path, 'here');
    const file = { ...(await sharedFile(path, env())), url: `${base}/never` };
    expect(await checkSharedFile(file, 'data file', 'w1', 'u1', { cacheDir: join(root, 'cache-here') })).toBe(path);
    expect(hits.get('/files/never')).toBeUndefined();
  });

  it('downloads a checkpoint missing at its path, with its companions beside it, into queue-files/<sha256>/ and reuses the copy for the next unit', async () => {
    const dir = join(root, 'ckpt');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'model.safetensors'), 'the weights');
    await writeFile(join(dir, 'config.json'), '{"model_type":"llama"}');
    await writeFile(join(dir, 'tokenizer.json'), '{"model":{}}');
    const model = await sharedFile(join(dir, 'model.safetensors'), env());
    const companions = await sharedCompanions(model.path, ['config.json', 'tokenizer.json', 'special_tokens_map.json'], env());
    expect(companions.map((file) => file.url)).toEqual([`${base}/ckpt/config.json`, `${base}/ckpt/tokenizer.json`]);
    for (const name of ['model.safetensors', 'config.json', 'tokenizer.json']) served.set(`/files/ckpt/${name}`, await readFile(join(dir, name), 'utf8'));
    // The worker's machine has none of them.
    await rm(dir, { recursive: true });

    const cacheDir = join(root, 'worker-cache');
    const path = await checkSharedFile(model, 'checkpoint', 'w1', 'u1', { companions, cacheDir });
    const folder = join(cacheDir, 'queue-files', model.sha256);
    expect(path).toBe(join(folder, 'model.safetensors'));
    expect(await readFile(path, 'utf8')).toBe('the weights');
    expect(await readFile(join(folder, 'config.json'), 'utf8')).toBe('{"model_type":"llama"}');
    expect(await readFile(join(folder, 'tokenizer.json'), 'utf8')).toBe('{"model":{}}');

    expect(await checkSharedFile(model, 'checkpoint', 'w1', 'u2', { companions, cacheDir })).toBe(path);
    expect(hits.get('/files/ckpt/model.safetensors')).toBe(1);
    expect(hits.get('/files/ckpt/tokenizer.json')).toBe(1);
  });

  it('fails the unit naming the file, the URL and both checksums when the URL serves other bytes, and keeps no copy', async () => {
    const file: SharedFile = { path: join(root, 'gone', 'data.txt'), sha256: sha('the real data'), size: 13, url: `${base}/gone/data.txt` };
    served.set('/files/gone/data.txt', 'other data!!!');
    const cacheDir = join(root, 'cache-other');
    const error = await checkSharedFile(file, 'data file', 'w1', 'u3', { cacheDir }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnrecoverableError);
    const message = (error as Error).message;
    expect(message).toContain(`data file ${file.path} downloaded from ${file.url}`);
    expect(message).toContain(`sha256 ${sha('other data!!!')} from the URL, ${file.sha256} on the coordinator`);
    await expect(readFile(join(cacheDir, 'queue-files', file.sha256, 'data.txt'))).rejects.toThrow(/ENOENT/);
  });

  it('names the path, the URL and the HTTP status when the file is missing at both', async () => {
    const file: SharedFile = { path: join(root, 'nowhere', 'answers.json'), sha256: sha('x'), size: 1, url: `${base}/nowhere/answers.json` };
    const error = await checkSharedFile(file, 'answer file', 'w1', 'u4', { cacheDir: join(root, 'cache-404') }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect((error as Error).message).toBe(`answer file ${file.path} is missing on worker w1 (unit u4), and ${file.url} answered HTTP 404 Not Found: put the file at its path on every worker, or serve it at that URL.`);
  });

  it('stops a download that sends more bytes than the coordinator file has', async () => {
    served.set('/files/big.bin', 'x'.repeat(1000));
    const file: SharedFile = { path: join(root, 'big.bin'), sha256: sha('x'.repeat(10)), size: 10, url: `${base}/big.bin` };
    const error = await checkSharedFile(file, 'data file', 'w1', 'u5', { cacheDir: join(root, 'cache-big') }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect((error as Error).message).toContain(`${base}/big.bin sent more than 10 bytes (its size on the coordinator)`);
  });

  it('keeps the shared-storage message when a missing file has no URL', async () => {
    const file: SharedFile = { path: join(root, 'no-url.txt'), sha256: sha('y') };
    await expect(checkSharedFile(file, 'checkpoint', 'w1', 'u6')).rejects.toThrow(
      `checkpoint ${file.path} is missing on worker w1 (unit u6): workers read checkpoints by path, so every worker must see them at the same path (shared storage), or the coordinator serves them by URL (JUDGEKIT_SHARED_FILES_URL).`,
    );
  });
});

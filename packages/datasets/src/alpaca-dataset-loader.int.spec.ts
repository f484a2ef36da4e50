// Real downloads against a local HTTP server on 127.0.0.1 (never the internet), and real files on disk.
import { createServer, type Server } from 'node:http';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JudgekitError, sha256Hex } from '@judgekit/core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AlpacaDatasetLoader, loadAlpacaDataset } from './alpaca-dataset-loader.js';
import { cachePathsFor, fetchCached } from './url-cache.js';
import { tinyTasks } from './tiny-tasks.js';

const records = tinyTasks({ count: 12, seed: 1 });
const fixture = JSON.stringify(records, null, 2);
const fixtureSha = sha256Hex(fixture);
const jsonl = `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;

let server: Server;
let base = '';
let requests: string[] = [];
let body: Record<string, string> = {};
let dir = '';

beforeAll(async () => {
  server = createServer((request, response) => {
    requests.push(request.url ?? '');
    const text = body[request.url ?? ''];
    if (request.url === '/truncated') {
      // Announce more bytes than are sent, then cut the connection: a partial download.
      response.writeHead(200, { 'content-length': String(fixture.length) });
      response.write(fixture.slice(0, 100));
      response.destroy();
      return;
    }
    if (text === undefined) {
      response.writeHead(404).end('not here');
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(async () => {
  requests = [];
  body = { '/data.json': fixture, '/data.jsonl': jsonl, '/other.json': JSON.stringify(records.slice(0, 3)) };
  dir = await mkdtemp(join(tmpdir(), 'judgekit-datasets-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loading from a URL', () => {
  it('downloads on first load and makes no request on the second', async () => {
    const loader = new AlpacaDatasetLoader({ cacheDir: dir });
    const first = await loader.load({ location: `${base}/data.json`, sha256: fixtureSha });
    expect(first.records).toEqual(records);
    expect(first.downloaded).toBe(true);
    expect(first.sha256).toBe(fixtureSha);
    expect(requests).toEqual(['/data.json']);

    const second = await new AlpacaDatasetLoader({ cacheDir: dir }).load({ location: `${base}/data.json`, sha256: fixtureSha });
    expect(second.records).toEqual(records);
    expect(second.downloaded).toBe(false);
    expect(requests).toHaveLength(1);
  });

  it('caches without a pin too, and keys the cache by URL', async () => {
    const loader = new AlpacaDatasetLoader({ cacheDir: dir });
    await loader.load({ location: `${base}/data.json` });
    await loader.load({ location: `${base}/other.json` });
    const again = await loader.load({ location: `${base}/data.json` });
    expect(again.records).toHaveLength(12);
    expect((await loader.load({ location: `${base}/other.json` })).records).toHaveLength(3);
    expect(requests).toEqual(['/data.json', '/other.json']);
  });

  it('reads JSONL from a URL', async () => {
    const loaded = await loadAlpacaDataset({ location: `${base}/data.jsonl`, cacheDir: dir });
    expect(loaded.records).toEqual(records);
  });

  it('refuses a download whose hash differs from the pin, and caches nothing', async () => {
    const wrong = '0'.repeat(64);
    const error = await loadAlpacaDataset({ location: `${base}/data.json`, sha256: wrong, cacheDir: dir }).catch((e: unknown) => e);
    expect(JudgekitError.is(error, 'checksum')).toBe(true);
    expect((error as Error).message).toContain(`expected ${wrong}, actual ${fixtureSha}`);
    expect(await readdir(dir).catch(() => [])).toEqual([]);
  });

  it('rejects a pin that is not 64 hex digits', async () => {
    await expect(loadAlpacaDataset({ location: `${base}/data.json`, sha256: 'abc', cacheDir: dir })).rejects.toThrowError(/64 hex digits/);
  });

  it('detects a corrupted cached file by its hash and downloads again', async () => {
    const url = `${base}/data.json`;
    await fetchCached(url, { cacheDir: dir, sha256: fixtureSha });
    const { data } = cachePathsFor(url, dir);
    await writeFile(data, fixture.replace('"', "'"));

    const repaired = await fetchCached(url, { cacheDir: dir, sha256: fixtureSha });
    expect(repaired.downloaded).toBe(true);
    expect(repaired.replacedCorrupt).toBe(true);
    expect(requests).toHaveLength(2);
    // repaired copy is trusted again
    expect((await fetchCached(url, { cacheDir: dir, sha256: fixtureSha })).downloaded).toBe(false);
    expect(requests).toHaveLength(2);
  });

  it('detects corruption without a pin (against the hash recorded at download)', async () => {
    const url = `${base}/data.json`;
    await fetchCached(url, { cacheDir: dir });
    await writeFile(cachePathsFor(url, dir).data, '[]');
    const loaded = await loadAlpacaDataset({ location: url, cacheDir: dir });
    expect(loaded.records).toHaveLength(12);
    expect(loaded.downloaded).toBe(true);
  });

  it('serves the server-side change only after the cached copy is found corrupt, and then checks the pin', async () => {
    const url = `${base}/data.json`;
    await fetchCached(url, { cacheDir: dir, sha256: fixtureSha });
    body['/data.json'] = '[]';
    await writeFile(cachePathsFor(url, dir).data, 'garbage');
    const error = await fetchCached(url, { cacheDir: dir, sha256: fixtureSha }).catch((e: unknown) => e);
    expect(JudgekitError.is(error, 'checksum')).toBe(true);
  });

  it('never trusts a partial download', async () => {
    const url = `${base}/truncated`;
    const error = await fetchCached(url, { cacheDir: dir }).catch((e: unknown) => e);
    expect(JudgekitError.is(error, 'download')).toBe(true);
    expect(await readdir(dir).catch(() => [])).toEqual([]);
  });

  it('says which cache directory it cannot write', async () => {
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, 'not a directory');
    const error = await fetchCached(`${base}/data.json`, { cacheDir: join(blocker, 'cache') }).catch((e: unknown) => e);
    expect(JudgekitError.is(error, 'run-store')).toBe(true);
    expect((error as Error).message).toMatch(/Cannot write the dataset cache in .*a-file\/cache \(ENOTDIR\)/);
  });

  it('keeps different URLs apart and readable on disk', () => {
    const a = cachePathsFor('https://h/x/data.json', '/c');
    const b = cachePathsFor('https://h/y/data.json', '/c');
    expect(a.data).not.toBe(b.data);
    expect(a.data).toMatch(/^\/c\/[0-9a-f]{32}-data\.json$/);
    expect(cachePathsFor('https://h/a b!.json?x=1', '/c').data).toMatch(/\/[0-9a-f]{32}-a_20b_\.json$/);
  });

  it('reports HTTP errors', async () => {
    await expect(fetchCached(`${base}/missing.json`, { cacheDir: dir })).rejects.toThrowError(/HTTP 404/);
  });

  it('says so clearly when offline', async () => {
    const offline = (() => Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND' } }))) as typeof fetch;
    const error = await loadAlpacaDataset({ location: 'https://example.invalid/data.json' }, { cacheDir: dir, fetch: offline }).catch((e: unknown) => e);
    expect(JudgekitError.is(error, 'download')).toBe(true);
    expect((error as Error).message).toMatch(/Cannot download https:\/\/example\.invalid\/data\.json \(ENOTFOUND\)\. Are you offline\?/);
  });

  it('uses JUDGEKIT_CACHE_DIR/datasets by default', async () => {
    const previous = process.env.JUDGEKIT_CACHE_DIR;
    process.env.JUDGEKIT_CACHE_DIR = dir;
    try {
      const got = await fetchCached(`${base}/data.json`);
      expect(got.path.startsWith(join(dir, 'datasets'))).toBe(true);
    } finally {
      if (previous === undefined) delete process.env.JUDGEKIT_CACHE_DIR;
      else process.env.JUDGEKIT_CACHE_DIR = previous;
    }
  });
});

describe('loading from a path', () => {
  it('reads a local file, reports its hash and checks a pin', async () => {
    const path = join(dir, 'local.json');
    await writeFile(path, fixture);
    const loaded = await loadAlpacaDataset({ location: path, sha256: fixtureSha.toUpperCase() });
    expect(loaded.records).toEqual(records);
    expect(loaded.sha256).toBe(fixtureSha);
    const error = await loadAlpacaDataset({ location: path, sha256: 'f'.repeat(64) }).catch((e: unknown) => e);
    expect(JudgekitError.is(error, 'checksum')).toBe(true);
    expect((error as Error).message).toContain(`expected ${'f'.repeat(64)}, actual ${fixtureSha}`);
  });

  it('says which path is missing', async () => {
    await expect(loadAlpacaDataset({ location: join(dir, 'nope.json') })).rejects.toThrowError(/Cannot read dataset .*nope\.json \(ENOENT\)/);
  });
});

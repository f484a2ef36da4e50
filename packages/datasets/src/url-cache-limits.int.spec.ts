// Size caps, timeouts and secrets of dataset downloads, against a local HTTP server on 127.0.0.1 (never the
// internet): a server that announces or streams too much, one that stalls, and a signed URL whose signature
// and token must not reach the cache or an error message.
import { createServer, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JudgekitError } from '@judgekit/core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadAlpacaDataset } from './alpaca-dataset-loader.js';
import { fetchCached } from './url-cache.js';
import { tinyTasks } from './tiny-tasks.js';

const fixture = JSON.stringify(tinyTasks({ count: 4, seed: 3 }));
const SIGNATURE = 'PLANTEDsignature0123456789abcdef';
const TOKEN = 'PLANTEDsessiontoken42';
const CREDENTIAL = 'AKIAPLANTEDCREDENTIAL';
const PASSWORD = 'PLANTEDpassw0rd';

let server: Server;
let base = '';
let dir = '';
const sockets = new Set<Socket>();
const stalled = new Set<ServerResponse>();

beforeAll(async () => {
  server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (path === '/announces-too-much.json') {
      // Says 10 MB are coming; the client must refuse before reading them.
      response.writeHead(200, { 'content-length': String(10_000_000) });
      response.write('[');
      stalled.add(response);
      return;
    }
    if (path === '/streams-too-much.json') {
      // No Content-Length: only counting the bytes as they arrive can stop this one.
      response.writeHead(200, { 'content-type': 'application/json' });
      const chunk = 'x'.repeat(64 * 1024);
      for (let i = 0; i < 4; i++) response.write(chunk);
      response.end();
      return;
    }
    if (path === '/no-headers.json') {
      stalled.add(response);
      return;
    }
    if (path === '/stalls-mid-body.json') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write(fixture.slice(0, 50));
      stalled.add(response);
      return;
    }
    if (path === '/data.json') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(fixture);
      return;
    }
    response.writeHead(404).end('not here');
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'judgekit-url-limits-'));
});

afterEach(async () => {
  vi.unstubAllEnvs();
  for (const response of stalled) response.destroy();
  stalled.clear();
  await rm(dir, { recursive: true, force: true });
});

async function failure(promise: Promise<unknown>): Promise<JudgekitError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(JudgekitError.is(error, 'download'), String(error)).toBe(true);
  return error as JudgekitError;
}

/** Every file under `root`, recursively. */
async function filesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true }).catch(() => [])) {
    const path = join(root, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else out.push(path);
  }
  return out;
}

describe('download size cap', () => {
  it('refuses a download whose Content-Length is over the cap, naming the URL, the cap and how to raise it, and caches nothing', async () => {
    const error = await failure(fetchCached(`${base}/announces-too-much.json`, { cacheDir: dir, maxBytes: 1000 }));
    expect(error.message).toContain(`${base}/announces-too-much.json`);
    expect(error.message).toMatch(/announces 10000000 bytes \(Content-Length\), over the 1000 byte cap/);
    expect(error.message).toContain('JUDGEKIT_MAX_DOWNLOAD_BYTES');
    expect(await filesUnder(dir)).toEqual([]);
  });

  it('stops a download without Content-Length once more bytes than the cap have arrived, and caches nothing', async () => {
    const error = await failure(fetchCached(`${base}/streams-too-much.json`, { cacheDir: dir, maxBytes: 100_000 }));
    expect(error.message).toMatch(/more than 100000 bytes arrived, over the 100000 byte cap/);
    expect(await filesUnder(dir)).toEqual([]);
  });

  it('takes the cap from JUDGEKIT_MAX_DOWNLOAD_BYTES when no option sets it', async () => {
    vi.stubEnv('JUDGEKIT_MAX_DOWNLOAD_BYTES', '100');
    const error = await failure(fetchCached(`${base}/data.json`, { cacheDir: dir }));
    expect(error.message).toMatch(/over the 100 byte cap/);
    vi.stubEnv('JUDGEKIT_MAX_DOWNLOAD_BYTES', String(fixture.length));
    expect((await fetchCached(`${base}/data.json`, { cacheDir: dir })).bytes.byteLength).toBe(fixture.length);
  });
});

describe('download timeout', () => {
  it('gives up on a server that sends no response, naming the URL and the wait', async () => {
    const error = await failure(fetchCached(`${base}/no-headers.json`, { cacheDir: dir, timeoutMs: 300 }));
    expect(error.message).toBe(
      `Downloading ${base}/no-headers.json timed out: the server sent no response for 300 ms. Retry, or allow a longer wait with JUDGEKIT_DOWNLOAD_TIMEOUT_MS=<ms> (or the timeoutMs option).`,
    );
    expect(await filesUnder(dir)).toEqual([]);
  });

  it('gives up on a server that stops sending in the middle of the body, saying how much arrived, and caches nothing', async () => {
    vi.stubEnv('JUDGEKIT_DOWNLOAD_TIMEOUT_MS', '300');
    const error = await failure(fetchCached(`${base}/stalls-mid-body.json`, { cacheDir: dir }));
    expect(error.message).toMatch(/stalls-mid-body\.json timed out: the server sent nothing more after 50 bytes for 300 ms/);
    expect(await filesUnder(dir)).toEqual([]);
  });
});

describe('signed dataset URLs', () => {
  const signed = (path: string) =>
    `http://reader:${PASSWORD}@${base.slice('http://'.length)}${path}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${CREDENTIAL}%2F20260101&X-Amz-Signature=${SIGNATURE}&token=${TOKEN}&part=1`;
  const planted = [SIGNATURE, TOKEN, CREDENTIAL, PASSWORD];

  it('caches a download from a signed URL without its signature, token, credential or password in any cache file', async () => {
    // fetch refuses URLs with user info; the server does not care, so the test strips it only for the request.
    const viaFetch = ((url: string, init?: RequestInit) => {
      const parsed = new URL(url);
      parsed.username = '';
      parsed.password = '';
      return fetch(parsed, init);
    }) as typeof fetch;
    const loaded = await loadAlpacaDataset({ location: signed('/data.json'), cacheDir: dir }, { fetch: viaFetch });
    expect(loaded.records).toHaveLength(4);
    expect(loaded.source).toBe(`http://REDACTED@${base.slice('http://'.length)}/data.json?X-Amz-Algorithm=REDACTED&X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED&token=REDACTED&part=1`);

    const files = await filesUnder(dir);
    expect(files.some((file) => file.endsWith('.meta.json'))).toBe(true);
    const leaks: string[] = [];
    for (const file of files) {
      const text = await readFile(file, 'latin1');
      for (const needle of planted) if (text.includes(needle)) leaks.push(`${file}: ${needle}`);
    }
    expect(leaks).toEqual([]);
    const meta = JSON.parse(await readFile(files.find((file) => file.endsWith('.meta.json')) as string, 'utf8')) as { url: string };
    expect(meta.url).toContain('X-Amz-Signature=REDACTED&token=REDACTED&part=1');
  });

  it('names a signed URL without its secrets when the download fails', async () => {
    const viaFetch = ((url: string, init?: RequestInit) => fetch(url.replace(/\/\/[^@/]*@/, '//'), init)) as typeof fetch;
    const error = await failure(fetchCached(signed('/missing.json'), { cacheDir: dir, fetch: viaFetch }));
    expect(error.message).toMatch(/HTTP 404/);
    expect(error.message).toContain('/missing.json?');
    expect(error.file).toContain('/missing.json?');
    for (const needle of planted) {
      expect(error.message).not.toContain(needle);
      expect(error.file).not.toContain(needle);
    }
  });
});

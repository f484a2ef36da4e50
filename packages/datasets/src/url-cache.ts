// Download a URL once into a cache directory and reuse it. A cached file is hashed again on every use and
// compared with the pin (or, unpinned, with the hash recorded at download time); a mismatch means corruption and
// triggers a fresh download. Downloads are written atomically, so a partial one is never mistaken for a file.
// A download is capped in size and gives up when the server stops answering; the URL is recorded and named in
// errors without its secrets (a signed URL's signature and token, user info).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultCacheDir, JudgekitError, scrubUrl, sha256Hex, writeFileAtomic, writeJsonAtomic } from '@judgekit/core';

export interface UrlCacheOptions {
  /** Default `defaultCacheDir()/datasets` (`JUDGEKIT_CACHE_DIR` is honoured). */
  cacheDir?: string;
  /** Expected SHA-256 (hex) of the bytes; checked on every load. */
  sha256?: string;
  /**
   * Give up when the server is silent this long: before the response headers arrive, or between two chunks of the
   * body. Default 60 s, or `JUDGEKIT_DOWNLOAD_TIMEOUT_MS`. A slow but steady download is never cut off.
   */
  timeoutMs?: number;
  /** Largest download, in bytes. Default 1 GiB, or `JUDGEKIT_MAX_DOWNLOAD_BYTES`. */
  maxBytes?: number;
  /** Injected for tests; default the global `fetch`. */
  fetch?: typeof fetch;
}

export interface CachedDownload {
  /** The URL without its secrets, fit for a record or a log. */
  url: string;
  /** Path of the cached copy. */
  path: string;
  bytes: Uint8Array;
  sha256: string;
  /** True when this call downloaded; false when the cached copy was used. */
  downloaded: boolean;
  /** True when a cached copy existed but failed its hash check and was replaced. */
  replacedCorrupt: boolean;
}

interface CacheMeta {
  /** Without its secrets: the cache outlives a signed URL, and must not hold its signature. */
  url: string;
  sha256: string;
  size: number;
  downloadedAt: string;
}

function defaultDatasetCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(defaultCacheDir(env), 'datasets');
}

export function isUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/** Cache paths are keyed by the URL's hash; the file name keeps a readable tail of the URL. */
export function cachePathsFor(url: string, cacheDir: string): { data: string; meta: string } {
  const key = sha256Hex(url).slice(0, 32);
  let tail = 'download';
  try {
    tail = new URL(url).pathname.split('/').filter(Boolean).at(-1) ?? tail;
  } catch {
    // keep the default
  }
  tail = tail.replace(/[^A-Za-z0-9._-]/g, '_').slice(-60) || 'download';
  return { data: join(cacheDir, `${key}-${tail}`), meta: join(cacheDir, `${key}.meta.json`) };
}

export function normaliseSha256(value: string | undefined, what: string): string | undefined {
  if (value === undefined) return undefined;
  const hex = value.trim().toLowerCase().replace(/^sha256:/, '');
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new JudgekitError('config', `${what}: the SHA-256 pin must be 64 hex digits, got "${value}".`);
  }
  return hex;
}

async function readIfPresent(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ENOTDIR: a path component is a file; then nothing is cached there, and writing will say why.
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

async function readMeta(path: string): Promise<CacheMeta | undefined> {
  const bytes = await readIfPresent(path);
  if (!bytes) return undefined;
  try {
    const meta = JSON.parse(new TextDecoder().decode(bytes)) as CacheMeta;
    return typeof meta.sha256 === 'string' ? meta : undefined;
  } catch {
    return undefined;
  }
}

export const DEFAULT_MAX_DOWNLOAD_BYTES = 2 ** 30;
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 60_000;

function positiveFromEnv(name: string): number | undefined {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

/** The size cap in force: the option, else `JUDGEKIT_MAX_DOWNLOAD_BYTES`, else 1 GiB. */
export function downloadCap(options: UrlCacheOptions): number {
  return options.maxBytes ?? positiveFromEnv('JUDGEKIT_MAX_DOWNLOAD_BYTES') ?? DEFAULT_MAX_DOWNLOAD_BYTES;
}

/** The silence allowed: the option, else `JUDGEKIT_DOWNLOAD_TIMEOUT_MS`, else 60 s. */
export function downloadTimeout(options: UrlCacheOptions): number {
  return options.timeoutMs ?? positiveFromEnv('JUDGEKIT_DOWNLOAD_TIMEOUT_MS') ?? DEFAULT_DOWNLOAD_TIMEOUT_MS;
}

function tooLarge(shown: string, what: string, cap: number): JudgekitError {
  return new JudgekitError(
    'download',
    `Downloading ${shown} stopped: ${what}, over the ${cap} byte cap on downloads. Check the URL, or raise the cap with JUDGEKIT_MAX_DOWNLOAD_BYTES=<bytes> (or the maxBytes option).`,
    { file: shown },
  );
}

function timedOut(shown: string, phase: 'headers' | 'body', ms: number, received: number): JudgekitError {
  const where = phase === 'headers' ? 'the server sent no response' : `the server sent nothing more after ${received} bytes`;
  return new JudgekitError(
    'download',
    `Downloading ${shown} timed out: ${where} for ${ms} ms. Retry, or allow a longer wait with JUDGEKIT_DOWNLOAD_TIMEOUT_MS=<ms> (or the timeoutMs option).`,
    { file: shown },
  );
}

async function download(url: string, options: UrlCacheOptions): Promise<Uint8Array> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const shown = scrubUrl(url);
  const cap = downloadCap(options);
  const timeoutMs = downloadTimeout(options);
  // One timer for both waits, restarted by every chunk: silence aborts, a steady trickle does not.
  const controller = new AbortController();
  let phase: 'headers' | 'body' = 'headers';
  let received = 0;
  let silent = false;
  let timer: NodeJS.Timeout | undefined;
  const restartTimer = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      silent = true;
      controller.abort(new Error('download timed out'));
    }, timeoutMs);
  };
  restartTimer();
  try {
    let response: Response;
    try {
      response = await doFetch(url, { signal: controller.signal, redirect: 'follow' });
    } catch (error) {
      if (silent) throw timedOut(shown, phase, timeoutMs, received);
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const detail = scrubUrl(cause?.code ?? cause?.message ?? (error as Error).message);
      throw new JudgekitError(
        'download',
        `Cannot download ${shown} (${detail}). Are you offline? Connect and retry, or download the file yourself and pass its path instead of the URL.`,
        { file: shown, cause: error },
      );
    }
    phase = 'body';
    restartTimer();
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw new JudgekitError('download', `Downloading ${shown} failed: HTTP ${response.status} ${response.statusText}. Check the URL.`, { file: shown });
    }
    const declared = Number(response.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > cap) {
      await response.body?.cancel().catch(() => undefined);
      throw tooLarge(shown, `the server announces ${declared} bytes (Content-Length)`, cap);
    }
    const chunks: Uint8Array[] = [];
    try {
      if (response.body) {
        const reader = response.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          received += value.byteLength;
          if (received > cap) {
            await reader.cancel().catch(() => undefined);
            throw tooLarge(shown, `more than ${cap} bytes arrived`, cap);
          }
          chunks.push(value);
          restartTimer();
        }
      }
    } catch (error) {
      if (JudgekitError.is(error)) throw error;
      if (silent) throw timedOut(shown, phase, timeoutMs, received);
      throw new JudgekitError('download', `Downloading ${shown} broke off (${scrubUrl((error as Error).message)}); retry.`, { file: shown, cause: error });
    }
    const bytes = new Uint8Array(received);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return bytes;
  } finally {
    clearTimeout(timer);
  }
}

export function checksumError(source: string, expected: string, actual: string, hint: string): JudgekitError {
  return new JudgekitError('checksum', `${source}: SHA-256 mismatch: expected ${expected}, actual ${actual}. ${hint}`, { file: source });
}

/** The bytes of `url`, from the cache when a verified copy is there, else downloaded (and then cached). */
export async function fetchCached(url: string, options: UrlCacheOptions = {}): Promise<CachedDownload> {
  const shown = scrubUrl(url);
  const pin = normaliseSha256(options.sha256, shown);
  const cacheDir = options.cacheDir ?? defaultDatasetCacheDir();
  const paths = cachePathsFor(url, cacheDir);

  const cached = await readIfPresent(paths.data);
  let replacedCorrupt = false;
  if (cached) {
    const actual = sha256Hex(cached);
    const expected = pin ?? (await readMeta(paths.meta))?.sha256;
    if (expected !== undefined && actual === expected) {
      return { url: shown, path: paths.data, bytes: cached, sha256: actual, downloaded: false, replacedCorrupt };
    }
    // Corrupt, changed under us, or written without its record (an interrupted first use): fetch it again.
    replacedCorrupt = true;
  }

  const bytes = await download(url, options);
  const actual = sha256Hex(bytes);
  if (pin !== undefined && actual !== pin) {
    throw checksumError(shown, pin, actual, 'The file at the URL changed or the pin is wrong; the download was not cached.');
  }
  // Data first, then its record: a crash in between leaves a file without a record, which is re-downloaded.
  const meta: CacheMeta = { url: shown, sha256: actual, size: bytes.byteLength, downloadedAt: new Date().toISOString() };
  try {
    await writeFileAtomic(paths.data, bytes);
    await writeJsonAtomic(paths.meta, meta);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new JudgekitError(
      'run-store',
      `Cannot write the dataset cache in ${cacheDir}${code ? ` (${code})` : ''}: make it writable, or choose another with JUDGEKIT_CACHE_DIR or the cacheDir option.`,
      { file: paths.data, cause: error },
    );
  }
  return { url: shown, path: paths.data, bytes, sha256: actual, downloaded: true, replacedCorrupt };
}

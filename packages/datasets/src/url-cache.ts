// Download a URL once into a cache directory and reuse it. A cached file is hashed again on every use and
// compared with the pin (or, unpinned, with the hash recorded at download time); a mismatch means corruption and
// triggers a fresh download. Downloads are written atomically, so a partial one is never mistaken for a file.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultCacheDir, JudgekitError, sha256Hex, writeFileAtomic, writeJsonAtomic } from '@judgekit/core';

export interface UrlCacheOptions {
  /** Default `defaultCacheDir()/datasets` (`JUDGEKIT_CACHE_DIR` is honoured). */
  cacheDir?: string;
  /** Expected SHA-256 (hex) of the bytes; checked on every load. */
  sha256?: string;
  /** Give up on a download after this long. Default 120 s. */
  timeoutMs?: number;
  /** Injected for tests; default the global `fetch`. */
  fetch?: typeof fetch;
}

export interface CachedDownload {
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

async function download(url: string, options: UrlCacheOptions): Promise<Uint8Array> {
  const doFetch = options.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    response = await doFetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 120_000), redirect: 'follow' });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const detail = cause?.code ?? cause?.message ?? (error as Error).message;
    throw new JudgekitError(
      'download',
      `Cannot download ${url} (${detail}). Are you offline? Connect and retry, or download the file yourself and pass its path instead of the URL.`,
      { file: url, cause: error },
    );
  }
  if (!response.ok) {
    throw new JudgekitError('download', `Downloading ${url} failed: HTTP ${response.status} ${response.statusText}. Check the URL.`, { file: url });
  }
  try {
    return new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    throw new JudgekitError('download', `Downloading ${url} broke off (${(error as Error).message}); retry.`, { file: url, cause: error });
  }
}

export function checksumError(source: string, expected: string, actual: string, hint: string): JudgekitError {
  return new JudgekitError('checksum', `${source}: SHA-256 mismatch: expected ${expected}, actual ${actual}. ${hint}`, { file: source });
}

/** The bytes of `url`, from the cache when a verified copy is there, else downloaded (and then cached). */
export async function fetchCached(url: string, options: UrlCacheOptions = {}): Promise<CachedDownload> {
  const pin = normaliseSha256(options.sha256, url);
  const cacheDir = options.cacheDir ?? defaultDatasetCacheDir();
  const paths = cachePathsFor(url, cacheDir);

  const cached = await readIfPresent(paths.data);
  let replacedCorrupt = false;
  if (cached) {
    const actual = sha256Hex(cached);
    const expected = pin ?? (await readMeta(paths.meta))?.sha256;
    if (expected !== undefined && actual === expected) {
      return { url, path: paths.data, bytes: cached, sha256: actual, downloaded: false, replacedCorrupt };
    }
    // Corrupt, changed under us, or written without its record (an interrupted first use): fetch it again.
    replacedCorrupt = true;
  }

  const bytes = await download(url, options);
  const actual = sha256Hex(bytes);
  if (pin !== undefined && actual !== pin) {
    throw checksumError(url, pin, actual, 'The file at the URL changed or the pin is wrong; the download was not cached.');
  }
  // Data first, then its record: a crash in between leaves a file without a record, which is re-downloaded.
  const meta: CacheMeta = { url, sha256: actual, size: bytes.byteLength, downloadedAt: new Date().toISOString() };
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
  return { url, path: paths.data, bytes, sha256: actual, downloaded: true, replacedCorrupt };
}

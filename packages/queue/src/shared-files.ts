// Files a worker reads (checkpoints, their configs and tokenizers, data files, answer files): by path (shared
// storage), or, when the coordinator serves them by URL (JUDGEKIT_SHARED_FILES_URL), downloaded into the worker's
// cache. Either way each is checked against the SHA-256 the coordinator computed, and a file missing or different
// fails the unit at once with a message naming the file, the worker, the unit (and the URL, when there is one).
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { defaultCacheDir, JudgekitError, pathExists, scrubUrl } from '@judgekit/core';
import { downloadCap, downloadTimeout } from '@judgekit/datasets';
import { UnrecoverableError } from 'bullmq';

export interface SharedFile {
  path: string;
  sha256: string;
  /** Bytes, as the coordinator saw them (a download is capped at this); absent from older coordinators. */
  size?: number;
  /** Where a worker that lacks the file at `path` downloads it (JUDGEKIT_SHARED_FILES_URL on the coordinator). */
  url?: string;
}

/** `<local root>=<base url>`: files under the root are also served at the base URL (same relative paths). */
export const SHARED_FILES_URL_ENV = 'JUDGEKIT_SHARED_FILES_URL';

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The root and base URL of JUDGEKIT_SHARED_FILES_URL, or undefined when unset; throws naming the variable when malformed. */
export function sharedFilesUrlRoot(env: NodeJS.ProcessEnv = process.env): { root: string; base: string } | undefined {
  const value = env[SHARED_FILES_URL_ENV]?.trim();
  if (!value) return undefined;
  const match = /^(.+?)=(https?:\/\/.+)$/i.exec(value);
  if (!match) {
    throw new JudgekitError('config', `${SHARED_FILES_URL_ENV} must be "<local folder>=<base URL>" (e.g. /data/models=http://files.lan:8000/models), got "${scrubUrl(value)}".`);
  }
  return { root: resolve(match[1] as string), base: (match[2] as string).replace(/\/+$/, '') };
}

/** The URL of `path` under JUDGEKIT_SHARED_FILES_URL (path segments URL-encoded), or undefined when it is not under the root. */
export function sharedFileUrl(path: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const served = sharedFilesUrlRoot(env);
  if (!served) return undefined;
  const rel = relative(served.root, resolve(path));
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return `${served.base}/${rel.split(sep).map(encodeURIComponent).join('/')}`;
}

/** The coordinator's side: a file by path, its checksum and size, and its URL when JUDGEKIT_SHARED_FILES_URL serves it. */
export async function sharedFile(path: string, env: NodeJS.ProcessEnv = process.env): Promise<SharedFile> {
  const url = sharedFileUrl(path, env);
  const { size } = await stat(path);
  return { path, sha256: await sha256OfFile(path), size, ...(url ? { url } : {}) };
}

/**
 * The files named `names` beside `path` that exist (a checkpoint's config, a Llama checkpoint's tokenizer.json ...),
 * as shared files: a worker that downloads the checkpoint puts them beside its copy, under the same names.
 */
export async function sharedCompanions(path: string, names: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<SharedFile[]> {
  const companions: SharedFile[] = [];
  for (const name of new Set(names)) {
    const beside = join(dirname(path), name);
    if (beside !== path && (await pathExists(beside))) companions.push(await sharedFile(beside, env));
  }
  return companions;
}

/** For content job ids: companions by name and checksum (not by path or URL, which do not change the work). */
export function companionsKey(companions: readonly SharedFile[] | undefined): Array<[string, string]> {
  return (companions ?? []).map((file) => [basename(file.path), file.sha256]);
}

// Checkpoints are large: hash each (path, size, mtime) once per worker process.
const known = new Map<string, string>();

type LocalState = { ok: true } | { ok: false; missing: boolean; problem: string };

async function localState(file: SharedFile, what: string, worker: string, jobId: string): Promise<LocalState> {
  let sha256: string;
  try {
    const info = await stat(file.path);
    const key = `${file.path}\0${info.size}\0${info.mtimeMs}`;
    sha256 = known.get(key) ?? (await sha256OfFile(file.path));
    known.set(key, sha256);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT'
      ? { ok: false, missing: true, problem: `${what} ${file.path} is missing on worker ${worker} (unit ${jobId})` }
      : { ok: false, missing: false, problem: `cannot read ${what} ${file.path} on worker ${worker} (unit ${jobId}): ${(error as Error).message}` };
  }
  if (sha256 !== file.sha256) {
    return { ok: false, missing: false, problem: `${what} ${file.path} on worker ${worker} is not the coordinator's (sha256 ${sha256.slice(0, 12)}... here, ${file.sha256.slice(0, 12)}... there; unit ${jobId})` };
  }
  return { ok: true };
}

function localError(state: Exclude<LocalState, { ok: true }>, what: string): UnrecoverableError {
  return new UnrecoverableError(
    state.missing
      ? `${state.problem}: workers read ${what.startsWith('file beside') ? 'files' : `${what}s`} by path, so every worker must see them at the same path (shared storage), or the coordinator serves them by URL (${SHARED_FILES_URL_ENV}).`
      : `${state.problem}: give every machine the same files.`,
  );
}

export interface CheckSharedFileOptions {
  /** Files that must lie beside this one under their names (a checkpoint's config and tokenizer). */
  companions?: readonly SharedFile[];
  /** Default `$JUDGEKIT_CACHE_DIR` or ~/.cache/judgekit; downloads go to `<cacheDir>/queue-files/<sha256>/`. */
  cacheDir?: string;
  /** Injected for tests; default the global `fetch`. */
  fetch?: typeof fetch;
}

/**
 * On a worker: the local path of `file` (and its companions beside it), checked against the coordinator's checksums.
 * The path itself when the file (and every companion) is there and the coordinator's; else, when it has a URL, a
 * copy downloaded into `<cache>/queue-files/<sha256>/<name>` (reused by later units), companions beside it. Throws
 * an UnrecoverableError (the unit fails at once, naming the file, and the URL when there is one) otherwise. `what`
 * names the kind of file: `checkpoint`, `data file`, `dataset`, `answer file`.
 */
export async function checkSharedFile(file: SharedFile, what: string, worker: string, jobId: string, options: CheckSharedFileOptions = {}): Promise<string> {
  const companions = options.companions ?? [];
  const all = [{ file, what }, ...companions.map((companion) => ({ file: companion, what: `file beside ${what} ${basename(file.path)}` }))];
  let firstBad: { state: Exclude<LocalState, { ok: true }>; what: string; file: SharedFile } | undefined;
  for (const entry of all) {
    const state = await localState(entry.file, entry.what, worker, jobId);
    if (!state.ok) {
      firstBad = { state, what: entry.what, file: entry.file };
      break;
    }
  }
  if (!firstBad) return file.path;
  const unserved = all.find((entry) => !entry.file.url);
  if (unserved) throw localError(firstBad.state, firstBad.what);
  const dir = join(options.cacheDir ?? defaultCacheDir(), 'queue-files', file.sha256);
  for (const entry of all) await downloadSharedFile(entry.file, entry.what, dir, worker, jobId, firstBad.state.problem, options.fetch);
  return join(dir, basename(file.path));
}

/** Download `file` into `dir` under its name (unless a copy with its checksum is there), verifying size and SHA-256 while streaming. */
async function downloadSharedFile(file: SharedFile, what: string, dir: string, worker: string, jobId: string, why: string, doFetch: typeof fetch = globalThis.fetch): Promise<void> {
  const target = join(dir, basename(file.path));
  if ((await pathExists(target)) && (await localState({ ...file, path: target }, what, worker, jobId)).ok) return;
  const url = file.url as string;
  const shown = scrubUrl(url);
  const cap = file.size ?? downloadCap({});
  const timeoutMs = downloadTimeout({});
  const controller = new AbortController();
  let silent = false;
  let timer: NodeJS.Timeout | undefined;
  const restartTimer = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      silent = true;
      controller.abort(new Error('download timed out'));
    }, timeoutMs);
  };
  const failed = (detail: string): Error => new Error(`${why}, and downloading it from ${shown} failed: ${detail} (the unit is tried again).`);
  await mkdir(dir, { recursive: true });
  const partial = `${target}.${process.pid}-${randomBytes(4).toString('hex')}.part`;
  restartTimer();
  try {
    let response: Response;
    try {
      response = await doFetch(url, { signal: controller.signal, redirect: 'follow' });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      // Retried (the unit is tried again): the server may be back.
      throw failed(silent ? `no answer for ${timeoutMs} ms (JUDGEKIT_DOWNLOAD_TIMEOUT_MS)` : scrubUrl(cause?.code ?? cause?.message ?? (error as Error).message));
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
      if (response.status >= 500) throw failed(status);
      throw new UnrecoverableError(`${why}, and ${shown} answered ${status}: put the file at its path on every worker, or serve it at that URL.`);
    }
    const hash = createHash('sha256');
    const out = createWriteStream(partial);
    const closed = new Promise<void>((done, fail) => {
      out.on('close', done);
      out.on('error', fail);
    });
    let received = 0;
    try {
      if (response.body) {
        const reader = response.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          received += value.byteLength;
          if (received > cap) {
            await reader.cancel().catch(() => undefined);
            throw new UnrecoverableError(`${what} ${file.path}: ${shown} sent more than ${cap} bytes${file.size !== undefined ? ' (its size on the coordinator)' : ' (JUDGEKIT_MAX_DOWNLOAD_BYTES)'} on worker ${worker} (unit ${jobId}).`);
          }
          hash.update(value);
          if (!out.write(value)) await new Promise<void>((drained) => out.once('drain', () => drained()));
          restartTimer();
        }
      }
    } catch (error) {
      out.destroy();
      if (error instanceof UnrecoverableError) throw error;
      throw failed(silent ? `the server sent nothing more after ${received} bytes for ${timeoutMs} ms (JUDGEKIT_DOWNLOAD_TIMEOUT_MS)` : `broke off after ${received} bytes (${scrubUrl((error as Error).message)})`);
    } finally {
      out.end();
      await closed.catch(() => undefined);
    }
    const sha256 = hash.digest('hex');
    if (sha256 !== file.sha256) {
      throw new UnrecoverableError(`${what} ${file.path} downloaded from ${shown} on worker ${worker} is not the coordinator's: sha256 ${sha256} from the URL, ${file.sha256} on the coordinator (unit ${jobId}). Serve the same file at that URL.`);
    }
    await rename(partial, target);
    const info = await stat(target);
    known.set(`${target}\0${info.size}\0${info.mtimeMs}`, sha256);
  } finally {
    clearTimeout(timer);
    await rm(partial, { force: true });
  }
}

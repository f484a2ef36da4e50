// A content-addressed cache on disk: one file per key, written atomically, checked on read. Used for judge
// calls and downloads, so a rerun pays for nothing twice.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { canonicalJson, sha256Hex } from '../util/canonical-hash.js';
import { writeFileAtomic } from '../util/atomic-write.js';

export const KeyValueCache = Symbol.for('@judgekit/core/KeyValueCache');
export interface KeyValueCache {
  get<T>(key: string): Promise<T | undefined>;
  set<T>(key: string, value: T): Promise<void>;
}

/** `JUDGEKIT_CACHE_DIR`, else `$XDG_CACHE_HOME/judgekit`, else `~/.cache/judgekit`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.JUDGEKIT_CACHE_DIR) return env.JUDGEKIT_CACHE_DIR;
  return join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'judgekit');
}

export class DiskCache implements KeyValueCache {
  readonly directory: string;
  /** Keys whose entries were found damaged on read; they are treated as misses and overwritten. */
  readonly #corruptKeys = new Set<string>();
  /** Shard folders already created by this instance: a cache write costs no mkdir after the first. */
  readonly #madeDirs = new Set<string>();

  constructor(directory: string) {
    this.directory = directory;
  }

  /** How many distinct entries were found damaged (and so ignored) by this instance. */
  get corrupt(): number {
    return this.#corruptKeys.size;
  }

  pathFor(key: string): string {
    const name = /^[0-9a-f]{64}$/.test(key) ? key : sha256Hex(key);
    return join(this.directory, name.slice(0, 2), `${name}.json`);
  }

  async get<T>(key: string): Promise<T | undefined> {
    let text: string;
    try {
      text = await readFile(this.pathFor(key), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      const parsed = JSON.parse(text) as { key: string; sum: string; value: T };
      if (parsed.key !== key || parsed.sum !== sha256Hex(canonicalJson(parsed.value))) throw new Error('checksum');
      return parsed.value;
    } catch {
      this.#corruptKeys.add(key);
      return undefined;
    }
  }

  async set<T>(key: string, value: T): Promise<void> {
    const record = { key, sum: sha256Hex(canonicalJson(value)), value };
    const path = this.pathFor(key);
    const folder = dirname(path);
    await writeFileAtomic(path, JSON.stringify(record), { parentExists: this.#madeDirs.has(folder) });
    this.#madeDirs.add(folder);
  }
}

/** In-memory cache, for tests and for runs that opt out of disk caching. */
export class MemoryCache implements KeyValueCache {
  readonly #values = new Map<string, unknown>();

  async get<T>(key: string): Promise<T | undefined> {
    return this.#values.get(key) as T | undefined;
  }

  async set<T>(key: string, value: T): Promise<void> {
    this.#values.set(key, structuredClone(value));
  }
}

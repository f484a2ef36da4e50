// Write a whole file so a reader never sees half of it: write a temporary file beside it, then rename. A failed
// write removes its temporary file, so does a process that exits mid-write (see exit-cleanup.ts); one left by a
// killed process (its pid is in the name) is swept on the next run.
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { removeOnExit } from './exit-cleanup.js';

export interface AtomicWriteOptions {
  /** Skip creating the parent folder (the caller knows it exists). */
  parentExists?: boolean;
}

/** `<target>.<pid>.<random>.tmp`: the temporary file of an atomic write to `path`. */
export function temporaryPathFor(path: string): string {
  return `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
}

/** Runs `write` on a temporary file, then renames it over `path`; on failure the temporary file is removed. */
export async function replaceAtomically(path: string, write: (temporary: string) => Promise<void>): Promise<void> {
  const temporary = temporaryPathFor(path);
  const forget = removeOnExit(temporary);
  try {
    await write(temporary);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw error;
  } finally {
    forget();
  }
}

export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  if (!options.parentExists) await mkdir(dirname(path), { recursive: true });
  await replaceAtomically(path, (temporary) => writeFile(temporary, data));
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

const TEMPORARY = /\.(\d+)\.[a-z0-9]+\.tmp$/;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes, under `dir`, the temporary files of atomic writes whose process is gone; returns their paths. */
export async function sweepStaleTemporaries(dir: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = (await readdir(dir, { recursive: true })) as string[];
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const entry of entries) {
    const match = TEMPORARY.exec(entry);
    if (!match || processAlive(Number(match[1]))) continue;
    const path = join(dir, entry);
    await rm(path, { force: true });
    removed.push(path);
  }
  return removed;
}

// Identity by content for weights and answer files: the sha256 of what a file (or every file of a checkpoint
// folder) holds, so a resume decision notices a checkpoint overwritten in place and ignores a mere rename.
// Files are streamed (checkpoints pass 2 GiB) and each is hashed once per process: the result is kept under its
// path, size, modification time and inode, so a file changed since is hashed again.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { JudgekitError } from '../errors.js';

const hashes = new Map<string, Promise<string>>();

async function streamSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function regularFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    // Hidden files are temporaries and tool state (atomic writes, .git), not the checkpoint.
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    const info = await stat(path);
    if (info.isDirectory()) found.push(...(await regularFiles(path)));
    else if (info.isFile()) found.push(path);
  }
  return found;
}

/**
 * The sha256 (hex) of a file's content; for a folder, of each regular file's relative path and content hash
 * (sorted, hidden files skipped). Memoised per process by path, size, mtime and inode.
 */
export async function fileContentSha256(path: string): Promise<string> {
  const full = resolve(path);
  let info;
  try {
    info = await stat(full, { bigint: true });
  } catch (error) {
    throw new JudgekitError('input', `Cannot read ${full} to fingerprint its content (${(error as NodeJS.ErrnoException).code ?? 'error'}): check the path.`, { file: full, cause: error });
  }
  if (info.isDirectory()) {
    const files = (await regularFiles(full)).map((file) => relative(full, file).split(sep).join('/')).sort();
    const lines = await Promise.all(files.map(async (file) => `${file}\0${await fileContentSha256(join(full, file))}\n`));
    return createHash('sha256').update(lines.join('')).digest('hex');
  }
  const key = `${full}\0${info.size}\0${info.mtimeNs}\0${info.ino}`;
  let hashed = hashes.get(key);
  if (!hashed) {
    hashed = streamSha256(full);
    hashes.set(key, hashed);
    // A failed read is not remembered: the next call tries again.
    hashed.catch(() => hashes.delete(key));
  }
  return hashed;
}

/** Model weights as a checkpoint and, when named, its separate config file. */
export interface WeightsFiles {
  path: string;
  configPath?: string;
}

/**
 * What identifies model weights by content: `sha256:<hex>` of the checkpoint, and of its config file when one is
 * named apart from it (a config found beside the checkpoint is the backend's business and is not included).
 */
export async function weightsFingerprint(weights: WeightsFiles): Promise<string> {
  const checkpoint = await fileContentSha256(weights.path);
  if (weights.configPath === undefined) return `sha256:${checkpoint}`;
  const config = await fileContentSha256(weights.configPath);
  return `sha256:${createHash('sha256').update(`${checkpoint}\n${config}\n`).digest('hex')}`;
}

/** A fingerprint shortened for messages: `sha256:0123456789ab`. */
export function shortFingerprint(fingerprint: string): string {
  return fingerprint.startsWith('sha256:') ? fingerprint.slice(0, 'sha256:'.length + 12) : fingerprint.slice(0, 12);
}

/** Forget every memoised hash (tests that rewrite a file within one timestamp tick). */
export function clearFileFingerprints(): void {
  hashes.clear();
}

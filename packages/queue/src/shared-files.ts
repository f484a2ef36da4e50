// Files a worker reads by path (shared storage), checked against the SHA-256 the coordinator computed, with the
// messages `judgekit judge` workers give for answer files: which file, which worker, which unit, and why.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { UnrecoverableError } from 'bullmq';

export interface SharedFile {
  path: string;
  sha256: string;
}

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The coordinator's side: a file by path and its checksum. */
export async function sharedFile(path: string): Promise<SharedFile> {
  return { path, sha256: await sha256OfFile(path) };
}

// Checkpoints are large: hash each (path, size, mtime) once per worker process.
const known = new Map<string, string>();

/**
 * Check on a worker that `file` is there and is the coordinator's; throws an UnrecoverableError (the unit fails
 * at once, naming the file) otherwise. `what` names the kind of file: `checkpoint`, `data file`, `dataset`.
 */
export async function checkSharedFile(file: SharedFile, what: string, worker: string, jobId: string): Promise<void> {
  let sha256: string;
  try {
    const info = await stat(file.path);
    const key = `${file.path}\0${info.size}\0${info.mtimeMs}`;
    sha256 = known.get(key) ?? (await sha256OfFile(file.path));
    known.set(key, sha256);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UnrecoverableError(
      code === 'ENOENT'
        ? `${what} ${file.path} is missing on worker ${worker} (unit ${jobId}): workers read ${what}s by path, so every worker must see them at the same path (shared storage).`
        : `cannot read ${what} ${file.path} on worker ${worker} (unit ${jobId}): ${(error as Error).message}`,
    );
  }
  if (sha256 !== file.sha256) {
    throw new UnrecoverableError(`${what} ${file.path} on worker ${worker} is not the coordinator's (sha256 ${sha256.slice(0, 12)}... here, ${file.sha256.slice(0, 12)}... there; unit ${jobId}): give every machine the same files.`);
  }
}

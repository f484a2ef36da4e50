// One process at a time in a run directory: two `judgekit judge` or `run` on the same directory would both pay
// for every judge call and interleave their writes. The lock is a file created with O_EXCL (`wx`), holding who
// took it; it is removed when the command ends, on an error, and on exit after a signal (a SIGKILL leaves it,
// and the next process takes it over once it sees that the holder is gone).
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { JudgekitError } from '../errors.js';
import { assertPathSafeName } from '../util/safe-name.js';

/** The lock of a whole run directory; `acquireRunLock`'s `name` makes one of a part of it (`.judgekit-<name>.lock`). */
export const RUN_LOCK_FILE = '.judgekit.lock';

/** What the lock file holds. */
export interface RunLockHolder {
  pid: number;
  hostname: string;
  startedAt: string;
  /** The command line, without secrets. */
  command: string;
  /** Tells this holder's lock from a later one taken over by someone else. */
  token: string;
}

export interface RunLockOptions {
  /** The command line to record, e.g. `judgekit judge --mode batched ...` (the caller removes secrets). */
  command: string;
  /** Take the lock even from a live holder (the user is sure it is not running, or accepts the risk). */
  force?: boolean;
  /** Lock one part of the directory instead of all of it (e.g. one model's answer file). */
  name?: string;
  /** Where notices go: a stale lock taken over, a forced one. */
  notify?: (message: string) => void;
  /** Names the override flag in messages. Default `--force-lock`. */
  forceFlag?: string;
}

export interface RunLock {
  readonly path: string;
  readonly holder: RunLockHolder;
  /** Removes the lock file if it is still this process's; safe to call more than once. */
  release(): void;
}

/** Whether `pid` runs on this host. A zombie (killed, not yet reaped: common for orphans in containers) does not. */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    // `pid (comm) S ...`: the state follows the last ')' (comm may contain spaces and parentheses).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return true; // no /proc (macOS, Windows): kill(0) is all there is
  }
}

function readHolder(path: string): RunLockHolder | 'missing' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
  }
  try {
    const holder = JSON.parse(text) as Partial<RunLockHolder>;
    if (typeof holder.pid === 'number' && typeof holder.hostname === 'string') {
      return { pid: holder.pid, hostname: holder.hostname, startedAt: String(holder.startedAt ?? 'unknown'), command: String(holder.command ?? 'unknown'), token: String(holder.token ?? '') };
    }
  } catch {
    // fall through
  }
  return 'unreadable';
}

/** Creates the lock file, or returns false when one exists. */
function tryCreate(path: string, holder: RunLockHolder): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new JudgekitError('run-store', `Cannot create the run directory lock ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): make the directory writable.`, { file: path, cause: error });
  }
  try {
    writeSync(fd, `${JSON.stringify(holder, null, 2)}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

function describeHolder(holder: RunLockHolder): string {
  return `pid ${holder.pid} on ${holder.hostname}, started ${holder.startedAt}: ${holder.command}`;
}

/** How long a live holder on this host is given to go away before the lock counts as in use. */
const HOLDER_GRACE_MS = 1000;

const exitHandlers = new Set<() => void>();
let listening = false;

function releaseOnExit(release: () => void): () => void {
  if (!listening) {
    listening = true;
    // `exit` also runs after process.exit() from the CLI's signal handling; it must be synchronous.
    process.once('exit', () => {
      for (const handler of exitHandlers) handler();
      exitHandlers.clear();
    });
  }
  exitHandlers.add(release);
  return () => exitHandlers.delete(release);
}

/**
 * Take the run directory's lock (creating the directory), or fail with an error naming the directory, the holder
 * and what to do. A lock whose holder is gone (its pid is not alive on this host) is taken over with a notice.
 */
export async function acquireRunLock(dir: string, options: RunLockOptions): Promise<RunLock> {
  await mkdir(dir, { recursive: true });
  if (options.name !== undefined) assertPathSafeName(options.name, 'lock name');
  const path = join(dir, options.name === undefined ? RUN_LOCK_FILE : `.judgekit-${options.name}.lock`);
  const flag = options.forceFlag ?? '--force-lock';
  const holder: RunLockHolder = {
    pid: process.pid,
    hostname: hostname(),
    startedAt: new Date().toISOString(),
    command: options.command,
    token: `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`,
  };

  // A few rounds: a lock released or taken over between our looks is simply looked at again.
  for (let round = 0; round < 5; round++) {
    if (tryCreate(path, holder)) return held(path, holder);
    const current = readHolder(path);
    if (current === 'missing') continue;
    if (current === 'unreadable') {
      // A holder that has created the file but not yet written it, or a damaged file: give the writer a moment.
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (readHolder(path) !== 'unreadable') continue;
      options.notify?.(`the lock ${path} is unreadable; taking it over.`);
      rmSync(path, { force: true });
      continue;
    }
    const sameHost = current.hostname === holder.hostname;
    let alive = !sameHost || processAlive(current.pid);
    // A holder just killed may take a moment to go (a huge-pages child stops only when it sees its parent gone).
    for (let wait = 0; sameHost && alive && !options.force && wait < HOLDER_GRACE_MS / 50; wait++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      alive = processAlive(current.pid);
    }
    if (alive && !options.force) {
      const where = sameHost ? 'is in use by another judgekit process' : `is locked by a judgekit process on another host (${current.hostname}), which this one cannot check`;
      throw new JudgekitError(
        'run-store',
        `The run directory ${dir} ${where}: ${describeHolder(current)}. Two processes in one run directory would both pay for every call and mix their writes. ` +
          `Wait for it to finish (or stop it), then rerun; or use another directory. If you are sure it is not running, rerun with ${flag} (or delete ${path}).`,
        { file: path },
      );
    }
    options.notify?.(
      alive
        ? `${flag}: taking over the lock of ${dir} from ${describeHolder(current)}.`
        : `taking over the stale lock of ${dir}: its holder (${describeHolder(current)}) is no longer running.`,
    );
    // Remove only the lock we judged: if it changed in the meantime, look again.
    const again = readHolder(path);
    if (typeof again === 'object' && again.token === current.token && again.pid === current.pid) rmSync(path, { force: true });
  }
  throw new JudgekitError('run-store', `Cannot take the lock of the run directory ${dir}: other processes keep taking it. Rerun when they are done.`, { file: path });
}

function held(path: string, holder: RunLockHolder): RunLock {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    forget();
    // Never remove a lock someone else took over (with --force-lock) in the meantime.
    const current = readHolder(path);
    if (typeof current === 'object' && current.token === holder.token) rmSync(path, { force: true });
  };
  const forget = releaseOnExit(release);
  return { path, holder, release };
}

// Runs `judgekit` from source as a child process (the way a user's shell would, so it can be SIGKILLed), with a
// clean environment: only what the test passes, plus PATH. Used by the crash, fault, secrets and publish tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const CLI_SOURCE = 'packages/cli/src/bin-source.ts';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  /** Output so far. */
  stdout(): string;
  stderr(): string;
  done: Promise<CliResult>;
  kill(signal?: NodeJS.Signals): void;
}

/** The environment a child gets: PATH and HOME only, then `env`. Nothing else of the test's leaks in. */
export function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', CI: '1', ...env };
}

export function startJudgekit(args: readonly string[], env: Record<string, string>, options: { cwd?: string } = {}): CliProcess {
  const child = spawn(process.execPath, ['--conditions=@judgekit/source', '--import', 'tsx/esm', CLI_SOURCE, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const done = new Promise<CliResult>((resolveDone, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolveDone({ code, signal, stdout, stderr }));
  });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    done,
    kill: (signal = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

export async function runJudgekit(args: readonly string[], env: Record<string, string>, options: { cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const process = startJudgekit(args, env, options);
  const timer = setTimeout(() => process.kill('SIGKILL'), options.timeoutMs ?? 90_000);
  try {
    return await process.done;
  } finally {
    clearTimeout(timer);
  }
}

/** Processes whose command line mentions `text` (Linux /proc; empty elsewhere), e.g. a run directory. */
export function processesMentioning(text: string): string[] {
  if (!existsSync('/proc/self/cmdline')) return [];
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (command.includes(text)) found.push(`${pid}: ${command.slice(0, 200)}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Resolve when `condition()` holds (polled), or reject after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 60_000, pollMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolveWait) => setTimeout(resolveWait, pollMs));
  }
}

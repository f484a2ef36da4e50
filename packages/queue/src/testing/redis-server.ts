// A throwaway redis-server for tests and benchmarks: a free port, a temporary directory, no persistence; stopped
// and removed afterwards. Debian's redis-server (/usr/bin/redis-server; `.ci/run` installs it in CI).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REDIS_SERVER_PATH = process.env.JUDGEKIT_REDIS_SERVER ?? '/usr/bin/redis-server';

/** Why tests that need Redis cannot run here, or undefined when they can. */
export function redisServerMissing(): string | undefined {
  return existsSync(REDIS_SERVER_PATH) ? undefined : `${REDIS_SERVER_PATH} is not installed (apt-get install redis-server, as .ci/run does)`;
}

export interface TestRedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>`, for `--queue`. */
  readonly url: string;
  readonly dir: string;
  readonly process: ChildProcess;
  /** Stop the server (SIGTERM, then SIGKILL) and remove its directory. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** One PING over a raw socket: true when the server answers PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

/** Start redis-server on a free port in a new temporary directory; resolves once it answers PING. */
export async function startRedisServer(options: { timeoutMs?: number } = {}): Promise<TestRedisServer> {
  const missing = redisServerMissing();
  if (missing) throw new Error(`Cannot start Redis for a test: ${missing}.`);
  const dir = await mkdtemp(join(tmpdir(), 'judgekit-redis-'));
  const timeoutMs = options.timeoutMs ?? 10_000;
  // Another process may take the port between the probe and the bind: try a few ports.
  let lastError = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const child = spawn(REDIS_SERVER_PATH, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--loglevel', 'warning'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + timeoutMs;
    let up = false;
    while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
      if (await ping(port)) {
        up = true;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    if (up) {
      return {
        port,
        url: `redis://127.0.0.1:${port}`,
        dir,
        process: child,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGTERM');
            const killer = setTimeout(() => child.kill('SIGKILL'), 3_000);
            await exited;
            clearTimeout(killer);
          }
          await rm(dir, { recursive: true, force: true });
        },
      };
    }
    child.kill('SIGKILL');
    await exited;
    lastError = output.trim() || `no answer within ${timeoutMs} ms`;
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error(`redis-server did not start (${REDIS_SERVER_PATH}): ${lastError}`);
}

/**
 * Why tests that need Redis are skipped here, or undefined when they run. Under CI they always run (and fail
 * without redis-server, which `.ci/run` installs): a skip there would pass for a test that never ran.
 */
export function redisTestSkipReason(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.CI ? undefined : redisServerMissing();
}

// `--queue redis://[user:password@]host:port[/db]` to BullMQ's connection options, and the queue's timings.
import type { ConnectionOptions } from 'bullmq';
import { JudgekitError } from '@judgekit/core';

/** The BullMQ queue that carries `judgekit judge` units. */
export const JUDGE_QUEUE = 'judgekit-judge';

export function redisConnection(url: string, where = '--queue'): ConnectionOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new JudgekitError('usage', `${where} must be a Redis URL such as redis://localhost:6379, got "${url}".`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new JudgekitError('usage', `${where} must start with redis:// or rediss://, got "${parsed.protocol}//...".`);
  }
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw new JudgekitError('usage', `${where}: the path of a Redis URL is a database number (redis://host:6379/0), got "/${db}".`);
  return {
    host: parsed.hostname || 'localhost',
    port: parsed.port ? Number(parsed.port) : 6379,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(db !== '' ? { db: Number(db) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    // BullMQ workers block on Redis: ioredis must not give up on a command while it reconnects.
    maxRetriesPerRequest: null,
  };
}

/** `redis://host:port` without a user name or password, for logs. */
export function displayQueueUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(unparseable URL)';
  }
}

export interface QueueTimings {
  /** How long a worker's lock on a unit lasts without renewal (renewed every half of it). Default 30 s. */
  lockDurationMs: number;
  /** How often workers look for units whose worker died (lock expired). Default 30 s. */
  stalledIntervalMs: number;
  /** How often a unit may stall (its worker die) before it fails. Default 5. */
  maxStalledCount: number;
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new JudgekitError('usage', `${name} must be an integer >= 1, got "${raw}".`);
  return value;
}

/** Timings from JUDGEKIT_QUEUE_LOCK_MS, JUDGEKIT_QUEUE_STALLED_MS and JUDGEKIT_QUEUE_MAX_STALLED (tests shorten them). */
export function queueTimings(env: NodeJS.ProcessEnv = process.env): QueueTimings {
  return {
    lockDurationMs: positiveInteger(env, 'JUDGEKIT_QUEUE_LOCK_MS', 30_000),
    stalledIntervalMs: positiveInteger(env, 'JUDGEKIT_QUEUE_STALLED_MS', 30_000),
    maxStalledCount: positiveInteger(env, 'JUDGEKIT_QUEUE_MAX_STALLED', 5),
  };
}

/**
 * One PING with no retries, before BullMQ (whose connections retry for ever and cannot be closed before they
 * connect): a wrong URL or a Redis that is down fails at once with a message that says so.
 */
export async function assertRedisReachable(url: string, timeoutMs = 10_000): Promise<void> {
  const { Redis } = await import('ioredis');
  const options = redisConnection(url) as Record<string, unknown>;
  const client = new Redis({ ...options, lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  // The socket's own error (ECONNREFUSED, ENOTFOUND...) says more than the "Connection is closed." that follows it.
  let socketError: Error | undefined;
  client.on('error', (error: Error) => (socketError ??= error));
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    const reason = (socketError ?? (error as Error))?.message ?? String(error);
    throw new JudgekitError('usage', `Cannot reach the queue at ${displayQueueUrl(url)} (${reason.replace(/\.$/, '')}). Is Redis running there?`, { cause: error });
  } finally {
    client.disconnect();
  }
}

import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { describe, expect, it } from 'vitest';
import { redisTestSkipReason, startRedisServer } from './redis-server.js';

const missing = redisTestSkipReason();

function answers(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('error', (error) => resolve(`error ${(error as NodeJS.ErrnoException).code}`));
    socket.once('connect', () => socket.write('CONFIG GET save\r\n'));
    socket.once('data', (chunk) => {
      resolve(chunk.toString('utf8'));
      socket.destroy();
    });
  });
}

describe.skipIf(missing !== undefined)(`startRedisServer${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('starts redis-server without persistence on a free port in a temporary directory, and stop() ends it and removes the directory', async () => {
    const redis = await startRedisServer();
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    expect(existsSync(redis.dir)).toBe(true);
    // `save ""`: no snapshots.
    expect(await answers(redis.port)).toMatch(/save\r\n\$0\r\n/);
    await redis.stop();
    expect(existsSync(redis.dir)).toBe(false);
    expect(await answers(redis.port)).toBe('error ECONNREFUSED');
  });

  it('starts two servers side by side on different ports', async () => {
    const [a, b] = await Promise.all([startRedisServer(), startRedisServer()]);
    try {
      expect(a.port).not.toBe(b.port);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});

describe('redisTestSkipReason', () => {
  it('never skips the Redis tests under CI, where a skip would pass for a test that never ran', () => {
    expect(redisTestSkipReason({ CI: '1' })).toBeUndefined();
  });
});

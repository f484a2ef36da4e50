import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Pipeline } from './pipeline.js';

describe('Pipeline with asynchronous fingerprints', () => {
  it('awaits a stage\'s fingerprint: a changed promised value reruns the stage, the same one skips it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'judgekit-pipeline-async-'));
    try {
      let content = 'sha256:one';
      const calls: string[] = [];
      const pipeline = new Pipeline([{ name: 'loss', fingerprint: async () => ({ checkpoint: content }), run: async () => void calls.push(content) }]);
      await pipeline.run(dir);
      expect(await pipeline.run(dir)).toEqual({ ran: [], skipped: ['loss'] });
      content = 'sha256:two';
      expect(await pipeline.run(dir)).toEqual({ ran: ['loss'], skipped: [] });
      expect(calls).toEqual(['sha256:one', 'sha256:two']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

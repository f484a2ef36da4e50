// The plugin as judgekit loads it from a config: by path, into a fresh container, beside nothing else; the
// model's options are checked against the backend's schema (defaults filled in) and reach the loaded model.
import 'reflect-metadata';
import { assembleContainer, contributionRegistry } from '@judgekit/core';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { countTokens } from './unigram-backend.js';

const plugin = fileURLToPath(new URL('./index.ts', import.meta.url));

describe('judgekit-plugin-unigram in a container', () => {
  it('registers the unigram backend and passes it the validated model options', async () => {
    const { container } = await assembleContainer({ plugins: [plugin] });
    const registry = contributionRegistry(container);
    expect(registry.ids('backend')).toEqual(['unigram']);
    const at = { file: 'study.json', path: 'models[1]' };
    expect(registry.resolve('backend', 'unigram', undefined, at).options).toEqual({ smoothing: 1 });
    expect(() => registry.resolve('backend', 'unigram', { smoothing: 0 }, at)).toThrow(/study\.json: models\[1\]\.options\.smoothing: must be > 0/);
    expect(() => registry.resolve('backend', 'unigram', { temperature: 2 }, at)).toThrow(/models\[1\]\.options: unknown option "temperature"/);

    const dir = await mkdtemp(join(tmpdir(), 'judgekit-unigram-module-'));
    try {
      const path = join(dir, 'unigram.json');
      await writeFile(path, JSON.stringify(countTokens([1, 1, 2], 8)));
      const { value: backend, options } = registry.resolve('backend', 'unigram', { smoothing: 0.25 }, at);
      const model = await backend.loadLikelihoodModel({ path }, { options });
      const targets = new Int32Array([1]);
      // (2 + 0.25) / (3 + 0.25 x 50257)
      expect((await model.tokenNll(targets, targets, 1, 1)).nll[0]).toBeCloseTo(-Math.log(2.25 / (3 + 0.25 * 50257)), 5);
      await model.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

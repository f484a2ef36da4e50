import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JudgekitError } from '../errors.js';
import { loadStudyConfig, validateStudyConfig } from './study-config.js';

describe('study config', () => {
  it('accepts a full study config', () => {
    const config = {
      plugins: ['@judgekit/judges'],
      runDir: 'runs/x',
      models: [{ name: 'a', checkpoint: 'a.safetensors' }, { name: 'b', answers: 'b.json' }],
      dataset: { location: 'data.json', sha256: 'a'.repeat(64), template: 'book', split: { train: 0.85, test: 0.1 } },
      loss: { data: 'test.bin', contextLength: 1024, batchSize: 6, batches: 3200, startToken: 50_000_000 },
      finetune: { maxEpochs: 100, learningRate: 5e-5, weightDecay: 0.1, batchSize: 8 },
      generation: { maxNewTokens: 256 },
      judges: [{ mode: 'batched', judge: 'openai:gpt-5.1', repeats: 2 }, { mode: 'reference' }],
    };
    expect(validateStudyConfig(config, 'study.json')).toBe(config);
  });

  it.each([
    [{ models: [{ name: 'a', chekpoint: 'x' }] }, /\/models\/0: unknown field "chekpoint"/],
    [{ judges: [{ mode: '' }] }, /\/judges\/0\/mode: must NOT have fewer than 1 characters/],
    [{ judges: [{ mode: 'batched', aggregate: 'mean' }] }, /\/judges\/0\/aggregate: must be one of "drop-failed", "failed-as-zero"/],
    [{ judges: [{ mode: 'single', judge: 'gpt-4o' }] }, /\/judges\/0\/judge: must match pattern/],
    [{ dataset: { location: 'x', sha256: 'abc' } }, /\/dataset\/sha256/],
    [{ loss: { contextLength: 10 } }, /\/loss: must have required property 'data'/],
    [{ surprise: true }, /\(top level\): unknown field "surprise"/],
  ])('rejects %j naming the field', (config, message) => {
    try {
      validateStudyConfig(config, 'study.json');
      expect.unreachable();
    } catch (error) {
      expect(JudgekitError.is(error, 'config')).toBe(true);
      expect((error as Error).message).toContain('study.json');
      expect((error as Error).message).toMatch(message);
    }
  });

  it('names the file when the JSON itself is broken', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'config-'));
    const file = join(dir, 'study.json');
    await writeFile(file, '{"models": [}');
    await expect(loadStudyConfig(file)).rejects.toThrow(new RegExp(`Config ${file.replace(/[.]/g, '\\.')} is not valid JSON`));
    await writeFile(file, JSON.stringify({ models: [{ name: 'a', answers: 'a.json' }] }));
    const loaded = await loadStudyConfig(file);
    expect(loaded.baseDir).toBe(dir);
    expect(loaded.config.models?.[0]?.name).toBe('a');
  });
});

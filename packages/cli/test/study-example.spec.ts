// The study-reproduction config under examples/ stays valid against the shipped schema and plans the full
// pipeline from the container's stage contributions (no stage is run: the checkpoints are the user's).
import 'reflect-metadata';
import { createStudy, loadStudyConfig, planStudy } from '@judgekit/core';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assembleJudgekit } from '../src/builtin-plugins.js';

const example = resolve(dirname(fileURLToPath(import.meta.url)), '../../../examples/study-reproduction.json');

describe('examples/study-reproduction.json', () => {
  it('validates and plans every stage of the study in order', async () => {
    const loaded = await loadStudyConfig(example);
    expect(loaded.config.loss?.startToken).toBe(50_000_000);
    const { container } = await assembleJudgekit({ baseDir: loaded.baseDir });
    const study = createStudy(container, loaded, { runDir: '/tmp/unused-run', cacheDir: '/tmp/unused', env: { OPENAI_API_KEY: 'sk-not-used' }, output: { stdout: process.stdout, stderr: process.stderr } });
    const pipeline = planStudy(study);
    expect(pipeline.stages.map((stage) => stage.name)).toEqual(['dataset', 'loss', 'finetune', 'generate', 'judge:single', 'judge:batched', 'results', 'report']);
  });
});

// The study-reproduction config under examples/ stays valid against the shipped schema and builds the
// full pipeline (no stage is run: the checkpoints are the user's).
import 'reflect-metadata';
import { assembleContainer, loadStudyConfig } from '@judgekit/core';
import judgesModule from '@judgekit/judges';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildStudyJudges } from '../src/study/study-judges.js';
import { buildStudyPipeline } from '../src/study/study-pipeline.js';

const example = resolve(dirname(fileURLToPath(import.meta.url)), '../../../examples/study-reproduction.json');

describe('examples/study-reproduction.json', () => {
  it('validates and plans every stage of the study in order', async () => {
    const loaded = await loadStudyConfig(example);
    expect(loaded.config.loss?.startToken).toBe(50_000_000);
    const { container } = await assembleContainer({ modules: [judgesModule] });
    const judges = buildStudyJudges(container, loaded.config.judges ?? [], { env: { OPENAI_API_KEY: 'sk-not-used' }, cacheDir: '/tmp/unused', file: loaded.file });
    const pipeline = buildStudyPipeline({ loaded, runDir: '/tmp/unused-run', judges, stdout: process.stdout, stderr: process.stderr });
    expect(pipeline.stages.map((stage) => stage.name)).toEqual(['dataset', 'loss', 'finetune', 'generate', 'judge:single', 'judge:batched', 'results', 'report']);
  });
});

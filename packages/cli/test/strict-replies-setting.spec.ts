// `strictReplies` and `models[].response` from a study config: the shipped schema takes them, and a judge assembled
// from the config carries strictReplies in its description (what judgment fingerprints hash).
import 'reflect-metadata';
import { assembleJudge, validateStudyConfig } from '@judgekit/core';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assembleJudgekit } from '../src/builtin-plugins.js';

describe('strictReplies and models[].response in a study config', () => {
  it('the schema accepts judges[].strictReplies and models[].response, and refuses them with the wrong type', () => {
    const config = validateStudyConfig({
      models: [{ name: 'a', answers: 'eval-example-data.json', response: 'model 1 response' }],
      judges: [{ mode: 'single', judge: 'openai:x', strictReplies: true }],
    });
    expect(config.judges?.[0]?.strictReplies).toBe(true);
    expect(config.models?.[0]?.response).toBe('model 1 response');
    expect(() => validateStudyConfig({ models: [{ name: 'a', answers: 'x.json' }], judges: [{ mode: 'single', strictReplies: 'yes' }] }, 'study.json')).toThrowError(/study\.json[\s\S]*strictReplies/);
    expect(() => validateStudyConfig({ models: [{ name: 'a', answers: 'x.json', response: 3 }] }, 'study.json')).toThrowError(/study\.json[\s\S]*response/);
  });

  it.each([
    ['single', true],
    ['single', false],
    ['batched', true],
    ['batched', false],
  ] as const)('a %s judge assembled with strictReplies %s records it in its description', async (mode, strictReplies) => {
    const { registry } = await assembleJudgekit({ baseDir: process.cwd() });
    const { judge } = assembleJudge(mode, { mode, judge: 'openai:x', strictReplies, dryRun: true }, { registry, env: {}, cacheDir: join(tmpdir(), 'judgekit-unused-cache'), at: { path: 'judges[0]' } });
    expect(judge.description.strictReplies).toBe(strictReplies);
  });
});

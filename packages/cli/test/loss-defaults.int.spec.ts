// Issue 12 point 11: one set of test-loss defaults. The library, `judgekit loss`, the study's loss stage (what
// `judgekit run` measures with), the config schema, the TestLossMetric and the study example all resolve to
// TEST_LOSS_DEFAULTS, the study's protocol: 1024-token windows, 6 per batch, from token 0.
import 'reflect-metadata';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lossStageSettings, resolveTestLossSettings, studyConfigSchema, TEST_LOSS_DEFAULTS, type LikelihoodModel, type ModelBackend, type StudyConfig } from '@judgekit/core';
import { TestLossMetric } from '@judgekit/backends';
import { command as lossCommand, lossCommandSettings } from '../src/commands/loss.js';

const here = dirname(fileURLToPath(import.meta.url));
const STUDY_DEFAULTS = { contextLength: 1024, batchSize: 6, stride: 1024, startToken: 0, batches: undefined };
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'judgekit-loss-defaults-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A backend whose one model has GPT-2's 1024-token context and a constant NLL of 2. */
function constantBackend(): ModelBackend & { batchShapes: Array<[number, number]> } {
  const batchShapes: Array<[number, number]> = [];
  const model: LikelihoodModel = {
    contextLength: 1024,
    async tokenNll(_inputs, targets, batch, sequence) {
      batchShapes.push([batch, sequence]);
      return { nll: Float32Array.from(targets, () => 2), batch, sequence };
    },
    async dispose() {},
  };
  return {
    id: 'constant',
    batchShapes,
    loadLikelihoodModel: async () => model,
    loadGenerativeModel: async () => {
      throw new Error('not used');
    },
  };
}

describe('test-loss defaults', () => {
  it("are the study's protocol in the one exported constant", () => {
    expect(TEST_LOSS_DEFAULTS).toMatchObject({ contextLength: 1024, batchSize: 6, startToken: 0 });
    expect(resolveTestLossSettings({})).toEqual(STUDY_DEFAULTS);
  });

  it('resolve to the same settings in `judgekit loss` without flags (as parsed, with its declared defaults) and in the study loss stage', () => {
    const declared = Object.fromEntries(Object.entries(lossCommand.options).flatMap(([name, option]) => (option.default !== undefined && option.type === 'string' ? [[name, option.default]] : [])));
    expect(declared).toMatchObject({ 'batch-size': String(TEST_LOSS_DEFAULTS.batchSize), 'start-token': String(TEST_LOSS_DEFAULTS.startToken) });
    expect(lossCommandSettings({ values: declared, positionals: [] })).toEqual(STUDY_DEFAULTS);
    expect(lossCommandSettings({ values: {}, positionals: [] })).toEqual(STUDY_DEFAULTS);
    expect(lossStageSettings({ data: 'held-out.bin' })).toEqual(STUDY_DEFAULTS);
    // A shorter model caps the default window the same way in both.
    expect(lossCommandSettings({ values: {}, positionals: [] }, 16)).toEqual(lossStageSettings({ data: 'x' }, 16));
  });

  it("are the config schema's documented defaults and the study example's settings", async () => {
    const loss = (studyConfigSchema() as { properties: { loss: { properties: Record<string, { default?: unknown }> } } }).properties.loss.properties;
    expect({ contextLength: loss.contextLength?.default, batchSize: loss.batchSize?.default, startToken: loss.startToken?.default }).toEqual({
      contextLength: TEST_LOSS_DEFAULTS.contextLength,
      batchSize: TEST_LOSS_DEFAULTS.batchSize,
      startToken: TEST_LOSS_DEFAULTS.startToken,
    });
    const example = JSON.parse(await readFile(resolve(here, '../../../examples/study-reproduction.json'), 'utf8')) as StudyConfig;
    expect(example.loss).toMatchObject({ contextLength: TEST_LOSS_DEFAULTS.contextLength, batchSize: TEST_LOSS_DEFAULTS.batchSize });
  });

  it('are what TestLossMetric measures with when given only the data: 6 x 1024 windows, both means and the protocol text in its details', async () => {
    const data = join(dir, 'tokens.bin');
    await writeFile(data, new Uint16Array(Array.from({ length: 8 * 1024 + 1 }, (_, i) => i % 50257)));
    const backend = constantBackend();
    const result = await new TestLossMetric(backend).evaluate({ path: 'model' }, { data });
    expect(result.protocol).toMatchObject({ kind: 'non-overlapping', contextLength: 1024, stride: 1024, batchSize: 6, startToken: 0, lastWindow: 'partial windows included' });
    expect(backend.batchShapes).toEqual([
      [6, 1024],
      [2, 1024],
    ]);
    expect(result.details).toMatchObject({ meanOfBatchMeans: expect.closeTo(2, 6), tokenMean: expect.closeTo(2, 6), tokens: 8 * 1024 });
    expect(result.details?.text).toBe('2.000 (mean of 2 batch means, 6 x 1024 windows; token mean 2.000, 8,192 tokens)');
  });
});

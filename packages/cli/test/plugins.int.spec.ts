// Plugins through `judgekit run`, in-process: two backends bound at once and chosen per model, a plugin judge
// with options beside a built-in judge, a stage replaced through a plugin, and the one-line errors for an unknown
// id, a bad plugin option and a plugin that fails to load. `judgekit plugins` and `judgekit schema` list them.
import 'reflect-metadata';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunLosses, RunResults } from '@judgekit/core';
import { createTinyGpt2 } from '@judgekit/backends/testing';
import { runMain } from './support/run-main.js';

const here = dirname(fileURLToPath(import.meta.url));
const EXAMPLE_PLUGINS = resolve(here, '../../../examples/plugins');
let root: string;

const judgekit = (args: string[]) => runMain(args, { cwd: root, env: { JUDGEKIT_CACHE_DIR: join(root, 'cache') } });

/**
 * A judge plugin with no imports at all (its ContainerModule is duck-typed, as from another inversify copy): every
 * answer gets the `score` option.
 */
const FIXED_JUDGE_PLUGIN = `class ForeignModule { constructor(load) { this.load = load; } get id() { return 9001; } }
export default new ForeignModule(({ bind }) => {
  bind(Symbol.for('@judgekit/core/JudgeFactory')).toConstantValue({
    id: 'fixed', description: 'Gives every answer the same score.', needsProvider: false,
    optionsSchema: { type: 'object', additionalProperties: false, required: ['score'], properties: { score: { type: 'integer', minimum: 0, maximum: 100 } } },
    create: ({ options }) => ({ mode: 'fixed', description: { mode: 'fixed', provider: 'none', model: 'none' },
      scoreItem: async (input) => ({ index: input.index, repeat: input.repeat, scores: input.answers.map((a) => ({ model: a.model, score: options.score })), calls: 0, cachedCalls: 0, tokenUsage: { prompt: 0, completion: 0 }, attempts: 1 }) }) });
});
`;

/** A study of two models with answer files (so nothing is fine-tuned or generated) and a held-out token file. */
function study(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    runDir: 'out',
    plugins: ['judgekit-plugin-unigram', join(EXAMPLE_PLUGINS, 'length-judge-plugin.ts')],
    models: [
      { name: 'tiny-gpt2', checkpoint: 'tiny.safetensors', answers: 'short-ift-test-results.json' },
      { name: 'unigram', backend: 'unigram', checkpoint: 'unigram.json', answers: 'long-ift-test-results.json' },
    ],
    loss: { data: 'tokens.bin', contextLength: 8, batchSize: 2 },
    judges: [{ mode: 'reference' }, { mode: 'length', options: { cap: 20 } }],
    ...overrides,
  };
}

async function writeStudy(name: string, config: Record<string, unknown>): Promise<void> {
  await writeFile(join(root, name), JSON.stringify(config));
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'judgekit-plugins-'));
  await createTinyGpt2({ dir: root, name: 'tiny', vocabSize: 50257, contextLength: 16, embDim: 8, nLayers: 1, nHeads: 2, naming: 'book' });
  await writeFile(join(root, 'unigram.json'), JSON.stringify({ kind: 'unigram', vocabSize: 50257, contextLength: 64, counts: { '11': 40, '13': 20, '262': 10 } }));
  const tokens = new Uint16Array(Array.from({ length: 200 }, (_, i) => [11, 13, 262, 50256][i % 4] as number));
  await writeFile(join(root, 'tokens.bin'), tokens);
  for (const [name, answer] of [['short', 'ok'], ['long', 'a much longer answer than the other one']]) {
    const records = [0, 1, 2].map((i) => ({ instruction: `Task ${i}`, input: '', output: `reference ${i}`, model_response: `${answer} ${i}` }));
    await writeFile(join(root, `${name}-ift-test-results.json`), JSON.stringify(records));
  }
});

describe('judgekit run with plugins', () => {
  it('runs two backends chosen per model and writes the plugin judge beside the built-in one', async () => {
    await writeStudy('study.json', study());
    const { code, stdout, stderr } = await judgekit(['run', 'study.json']);
    expect(stderr).not.toContain('unexpected error');
    expect(code).toBe(0);
    const out = join(root, 'out');
    const losses = JSON.parse(await readFile(join(out, 'loss.json'), 'utf8')) as RunLosses;
    expect(losses.models.map((m) => m.name)).toEqual(['tiny-gpt2', 'unigram']);
    // Different backends, different models: the losses differ, and both are real cross-entropies.
    const [gpt2, unigram] = losses.models;
    expect(gpt2!.loss).toBeGreaterThan(0);
    expect(unigram!.loss).toBeGreaterThan(0);
    expect(Math.abs(gpt2!.loss - unigram!.loss)).toBeGreaterThan(0.1);
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as RunResults;
    expect(results.judges.map((j) => j.name)).toEqual(['reference', 'length']);
    // The plugin's option reached it: scores are capped at 20 (the long answers are longer than that).
    expect(results.models[1]?.judges?.length?.score).toBe(20);
    expect(results.models[0]?.judges?.length?.score).toBe(4);
    expect(stdout).toMatch(/\| model \| test loss \| reference score \| length score \|/);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('length');
    const log = await readFile(join(out, 'run.log'), 'utf8');
    expect(log).toMatch(/stage loss: done/);
    expect(log).toMatch(/stage judge:length: done/);
  });

  it('uses a stage a plugin binds under a built-in id, and a stage a plugin adds', async () => {
    const config = study({ runDir: 'out-stage', plugins: [...(study().plugins as string[]), join(here, 'support/marker-stage-plugin.ts')] });
    await writeStudy('stage.json', config);
    const { code, stderr } = await judgekit(['run', 'stage.json']);
    expect(code).toBe(0);
    const marker = JSON.parse(await readFile(join(root, 'out-stage', 'marker-report.json'), 'utf8')) as { models: string[] };
    expect(marker.models).toEqual(['tiny-gpt2', 'unigram']);
    expect(existsSync(join(root, 'out-stage', 'report.html'))).toBe(false);
    expect(stderr).toMatch(/count-answers: 2 models/);
  });

  it('loads a plugin given as a path without ./, and passes it --options', async () => {
    await mkdir(join(root, 'sub'), { recursive: true });
    await writeFile(join(root, 'sub', 'fixed-judge.mjs'), FIXED_JUDGE_PLUGIN);
    const { code, stdout, stderr } = await judgekit(['judge', '--mode', 'fixed', '--options', '{"score": 7}', '--plugin', 'sub/fixed-judge.mjs', '--out', 'judged', 'short-ift-test-results.json', 'long-ift-test-results.json']);
    expect(stderr).not.toMatch(/npm install/);
    expect(code).toBe(0);
    expect(stdout).toMatch(/fixed/);
    const results = JSON.parse(await readFile(join(root, 'judged', 'results.json'), 'utf8')) as RunResults;
    expect(results.models.map((m) => m.score)).toEqual([7, 7]);
    const bad = await judgekit(['judge', '--mode', 'fixed', '--options', '{"score": "high"}', '--plugin', 'sub/fixed-judge.mjs', '--out', 'judged2', 'short-ift-test-results.json']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--options\.score: must be integer \(options of judge "fixed" from \.\/sub\/fixed-judge\.mjs|--options\.score: must be integer/);
  });
});

describe('judgekit run, other shapes of study', () => {
  it('measures test loss only when the study has no dataset and no judges', async () => {
    const config = study({ runDir: 'out-loss', judges: undefined });
    for (const model of config.models as Array<Record<string, unknown>>) delete model.answers;
    await writeStudy('loss-only.json', config);
    const { code, stderr } = await judgekit(['run', 'loss-only.json']);
    expect(stderr).not.toMatch(/need a "dataset"/);
    expect(code).toBe(0);
    const stages = (await readFile(join(root, 'out-loss', 'stages.jsonl'), 'utf8')).trim().split('\n');
    expect(stages).toHaveLength(1);
    expect(stages[0]).toMatch(/"loss"/);
    const losses = JSON.parse(await readFile(join(root, 'out-loss', 'loss.json'), 'utf8')) as RunLosses;
    expect(losses.models.map((m) => m.name)).toEqual(['tiny-gpt2', 'unigram']);
  });

  it('loads a plugin given as a package folder, through its manifest', async () => {
    const dir = join(root, 'fixed-judge-package');
    await mkdir(join(dir, 'lib'), { recursive: true });
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'judgekit-plugin-fixed', version: '1.2.3', type: 'module', exports: { '.': { import: './lib/main.mjs' } } }));
    await writeFile(join(dir, 'lib', 'main.mjs'), FIXED_JUDGE_PLUGIN);
    const { code, stdout } = await judgekit(['plugins', '--plugin', './fixed-judge-package', '--kind', 'judge']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/judge\s+fixed\s+judgekit-plugin-fixed@1\.2\.3\s+score/);
  });
});

describe('one-line errors that name the config path and the available ids', () => {
  it('an unknown backend id', async () => {
    const config = study();
    (config.models as Array<Record<string, unknown>>)[1]!.backend = 'llamacpp';
    await writeStudy('unknown.json', config);
    const { code, stderr } = await judgekit(['run', 'unknown.json']);
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/unknown\.json: models\[1\]\.backend: unknown backend "llamacpp"\. Available backends: onnxruntime \(@judgekit\/backends@\d+\.\d+\.\d+\), unigram \(/);
  });

  it('a model or judge name that would leave the run directory, before anything is written', async () => {
    await writeStudy('escape.json', study({ runDir: 'out-escape', judges: [{ name: '../escape', mode: 'reference' }] }));
    const judge = await judgekit(['run', 'escape.json']);
    expect(judge.code).toBe(1);
    expect(judge.stderr).toMatch(/escape\.json: judges\[0\]\.name: the name "\.\.\/escape" contains a path separator/);
    const config = study({ runDir: 'out-escape' });
    (config.models as Array<Record<string, unknown>>)[0]!.name = 'a/b';
    await writeStudy('escape.json', config);
    const model = await judgekit(['run', 'escape.json']);
    expect(model.code).toBe(1);
    expect(model.stderr).toMatch(/escape\.json: models\[0\]\.name: the name "a\/b" contains a path separator/);
    expect(existsSync(join(root, 'escape'))).toBe(false);
    expect(existsSync(join(root, 'out-escape'))).toBe(false);
  });

  it('an unknown judge mode', async () => {
    await writeStudy('mode.json', study({ judges: [{ mode: 'rubric' }] }));
    const { code, stderr } = await judgekit(['run', 'mode.json']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/mode\.json: judges\[0\]\.mode: unknown judge "rubric"\. Available judges: single \(@judgekit\/judges@[^)]+\), batched \([^)]+\), reference \([^)]+\), pairwise \([^)]+\), length \(/);
  });

  it('a bad plugin option', async () => {
    await writeStudy('option.json', study({ judges: [{ mode: 'length', options: { cap: 500, colour: 'red' } }] }));
    const { code, stderr } = await judgekit(['run', 'option.json']);
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/option\.json: judges\[0\]\.options: unknown option "colour"/);
    expect(stderr).toMatch(/judges\[0\]\.options\.cap: must be <= 100/);
  });

  it('options for a contribution that takes none, and an option a plugin backend does not know', async () => {
    await writeStudy('none.json', study({ reporters: [{ id: 'html', options: { theme: 'dark' } }] }));
    const none = await judgekit(['run', 'none.json']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/none\.json: reporters\[0\]\.options: reporter "html" \(@judgekit\/report@[^)]+\) takes no options, got "theme"/);
    const config = study();
    (config.models as Array<Record<string, unknown>>)[1]!.options = { temperature: 2 };
    await writeStudy('unknown-option.json', config);
    const unknown = await judgekit(['run', 'unknown-option.json']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/models\[1\]\.options: unknown option "temperature" \(options of backend "unigram" from judgekit-plugin-unigram(@\S+)?\)/);
  });

  it('a plugin whose module fails to load, and one that exports no module', async () => {
    await writeFile(join(root, 'broken-plugin.mjs'), "import 'judgekit-no-such-package';\nexport default 1;\n");
    await writeFile(join(root, 'plain-plugin.mjs'), 'export const answer = 42;\n');
    for (const [file, pattern] of [
      ['broken-plugin.mjs', /broken\.json: plugins\[2\]: cannot import plugin "\.\/broken-plugin\.mjs": .*judgekit-no-such-package/],
      ['plain-plugin.mjs', /broken\.json: plugins\[2\]: plugin "\.\/plain-plugin\.mjs" has no default export that is an inversify ContainerModule \(it exports answer\)/],
    ] as const) {
      await writeStudy('broken.json', study({ plugins: [...(study().plugins as string[]), `./${file}`] }));
      const { code, stderr } = await judgekit(['run', 'broken.json']);
      expect(code).toBe(1);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(pattern);
      expect(stderr).toMatch(/Loaded .*judges: single, batched, reference, pairwise, length/);
    }
  });

  it('accepts a ContainerModule made by another copy of inversify', async () => {
    await writeFile(join(root, 'foreign-plugin.mjs'), FIXED_JUDGE_PLUGIN);
    const { code, stdout } = await judgekit(['plugins', '--plugin', './foreign-plugin.mjs', '--kind', 'judge']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/judge\s+fixed\s+\.\/foreign-plugin\.mjs\s+score/);
  });
});

describe('judgekit plugins and judgekit schema', () => {
  it('lists every contribution with its package, and a replaced stage', async () => {
    const { code, stdout } = await judgekit(['plugins', '--plugin', join(EXAMPLE_PLUGINS, 'length-judge-plugin.ts'), '--plugin', join(here, 'support/marker-stage-plugin.ts')]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^kind\s+id\s+package\s+options\s+description/);
    expect(stdout).toMatch(/backend\s+onnxruntime\s+@judgekit\/backends@\S+\s+threads/);
    expect(stdout).toMatch(/dataset\s+alpaca\s+@judgekit\/datasets@/);
    expect(stdout).toMatch(/judge\s+length\s+\S+\s+cap/);
    expect(stdout).toMatch(/chat-provider\s+openai\s+@judgekit\/judges@/);
    expect(stdout).toMatch(/stage\s+report\s+.*\(replaces @judgekit\/core@/);
    expect(stdout).toMatch(/reporter\s+html\s+@judgekit\/report@/);
  });

  it('writes the config schema with the plugin options merged in', async () => {
    const { code } = await judgekit(['schema', '--config', 'study.json', '--out', 'schema.json']);
    expect(code).toBe(0);
    const schema = JSON.parse(await readFile(join(root, 'schema.json'), 'utf8')) as { properties: { judges: { items: { allOf: Array<{ if: unknown; then: { properties: { options: { properties?: Record<string, unknown> } } } }> } } } };
    const branches = schema.properties.judges.items.allOf;
    const length = branches.find((branch) => JSON.stringify(branch.if).includes('"length"'));
    expect(length?.then.properties.options.properties).toHaveProperty('cap');
    const single = branches.find((branch) => JSON.stringify(branch.if).includes('"single"'));
    expect(single?.then.properties.options.properties).toHaveProperty('wording');
    // What an editor does with it: the study validates, and a bad plugin option or provider option does not.
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    const config = JSON.parse(await readFile(join(root, 'study.json'), 'utf8')) as { judges: Array<Record<string, unknown>> };
    expect(validate(config), JSON.stringify(validate.errors)).toBe(true);
    config.judges[1] = { mode: 'length', options: { cap: 'twenty' } };
    expect(validate(config)).toBe(false);
    expect(JSON.stringify(validate.errors)).toMatch(/\/judges\/1\/options\/cap/);
    config.judges[1] = { mode: 'single', judge: 'openai:m', providerOptions: { api: 'graphql' } };
    expect(validate(config)).toBe(false);
    expect(JSON.stringify(validate.errors)).toMatch(/\/judges\/1\/providerOptions\/api/);
  });
});

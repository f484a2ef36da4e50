import 'reflect-metadata';
import { Container, ContainerModule } from 'inversify';
import { describe, expect, it } from 'vitest';
import { assembleContainer } from '../config/plugin-loader.js';
import { JudgeFactory } from '../contracts/judge-factory.js';
import { Reporter } from '../contracts/reporter.js';
import { JudgekitError } from '../errors.js';
import { ContributionRegistry } from './contribution-registry.js';

const judge = (id: string, optionsSchema?: Record<string, unknown>): JudgeFactory => ({
  id,
  description: `the ${id} judge`,
  needsProvider: false,
  ...(optionsSchema ? { optionsSchema } : {}),
  create: () => {
    throw new Error('not used');
  },
});

const reporter = (id: string, tag: string): Reporter => ({ id, description: tag, report: async () => ({ files: [tag] }) });

const module = (...factories: JudgeFactory[]) =>
  new ContainerModule(({ bind }) => {
    for (const factory of factories) bind<JudgeFactory>(JudgeFactory).toConstantValue(factory);
  });

const RUBRIC = {
  type: 'object',
  additionalProperties: false,
  required: ['criteria'],
  properties: { criteria: { type: 'array', items: { type: 'string' }, minItems: 1 }, scale: { type: 'integer', default: 10 } },
};

describe('ContributionRegistry', () => {
  it('attributes each contribution to the module that bound it, in load order', async () => {
    const { registry } = await assembleContainer({
      modules: [
        { module: module(judge('single'), judge('batched')), source: { package: '@judgekit/judges', version: '1.2.3' } },
        { module: module(judge('rubric', RUBRIC)), source: { package: 'judgekit-rubric' } },
      ],
    });
    expect(registry.list('judge').map((entry) => [entry.id, entry.source.package])).toEqual([
      ['single', '@judgekit/judges'],
      ['batched', '@judgekit/judges'],
      ['rubric', 'judgekit-rubric'],
    ]);
    expect(registry.describeAvailable('judge')).toBe('single (@judgekit/judges@1.2.3), batched (@judgekit/judges@1.2.3), rubric (judgekit-rubric)');
  });

  it('names the config path, the ids available and their packages for an unknown id', async () => {
    const { registry } = await assembleContainer({ modules: [{ module: module(judge('single')), source: { package: '@judgekit/judges', version: '0.1.0' } }] });
    const error = (() => {
      try {
        registry.get('judge', 'pairwise', { file: 'study.json', path: 'judges[2]' });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(JudgekitError.is(error, 'config')).toBe(true);
    expect((error as Error).message).toBe(
      'study.json: judges[2].mode: unknown judge "pairwise". Available judges: single (@judgekit/judges@0.1.0). Add the package that provides it to "plugins".',
    );
    expect(() => registry.get('backend', 'onnxruntime', { path: 'models[0]' })).toThrow('models[0].backend: unknown backend "onnxruntime". Available backends: none loaded.');
  });

  it('validates options against the schema, fills defaults, and never changes the caller\'s object', async () => {
    const { registry } = await assembleContainer({ modules: [module(judge('rubric', RUBRIC), judge('plain'))] });
    const given = { criteria: ['accuracy'] };
    const { options } = registry.resolve('judge', 'rubric', given, { path: 'judges[0]' });
    expect(options).toEqual({ criteria: ['accuracy'], scale: 10 });
    expect(given).toEqual({ criteria: ['accuracy'] });
    expect(() => registry.resolve('judge', 'rubric', {}, { file: 's.json', path: 'judges[0]' })).toThrow(/^s\.json: judges\[0\]\.options: missing option "criteria"/);
    expect(() => registry.resolve('judge', 'rubric', { criteria: [], colour: 1 }, { path: 'judges[0]' })).toThrow(
      /judges\[0\]\.options: unknown option "colour"; judges\[0\]\.options\.criteria: must NOT have fewer than 1 items \(options of judge "rubric" from module 0\)\./,
    );
    expect(() => registry.resolve('judge', 'plain', { x: 1 }, { path: 'judges[1]' })).toThrow('judges[1].options: judge "plain" (module 0) takes no options, got "x".');
    expect(registry.resolve('judge', 'plain', undefined, { path: 'judges[1]' }).options).toEqual({});
  });

  it('lets a later module replace a contribution by id, and records what it replaced', async () => {
    const builtIn = new ContainerModule(({ bind }) => {
      bind<Reporter>(Reporter).toConstantValue(reporter('html', 'built-in'));
    });
    const plugin = new ContainerModule(({ bind }) => {
      bind<Reporter>(Reporter).toConstantValue(reporter('html', 'plugin'));
    });
    const other = new ContainerModule(({ bind }) => {
      bind<Reporter>(Reporter).toConstantValue(reporter('csv', 'other'));
    });
    const { registry } = await assembleContainer({
      modules: [
        { module: builtIn, source: { package: '@judgekit/report' } },
        { module: plugin, source: { package: 'my-report' } },
        { module: other, source: { package: 'csv-report' } },
      ],
    });
    const html = registry.entry('reporter', 'html', { path: 'reporters[0]' });
    expect(html.value.description).toBe('plugin');
    expect(html.source.package).toBe('my-report');
    expect(html.replaces?.package).toBe('@judgekit/report');
    expect(registry.ids('reporter')).toEqual(['html', 'csv']);
  });

  it('refuses a contribution without an id, naming the package', () => {
    const container = new Container();
    container.bind(JudgeFactory).toConstantValue({ needsProvider: false, create: () => undefined });
    expect(() => new ContributionRegistry().collect(container, { package: 'bad-plugin', version: '0.0.1' })).toThrow('bad-plugin@0.0.1 binds a judge without an "id"; give every contribution an id.');
  });

  it('reads the id of a judge factory from before ids from its mode', async () => {
    const old = new ContainerModule(({ bind }) => {
      bind(JudgeFactory).toConstantValue({ mode: 'legacy', needsProvider: false, create: () => undefined });
    });
    const { registry } = await assembleContainer({ modules: [old] });
    expect(registry.ids('judge')).toEqual(['legacy']);
  });
});

// `judgekit new plugin --kind judge`: a judge mode that scores answers by how many of the reference answer's
// words they contain (no model calls, so its tests need no server), with a unit test of the scoring and a test
// that loads the plugin into a judgekit container and scores an item.
import { FENCE, type PluginTemplate, type ScaffoldContext } from './plugin-template.js';

function judgeSource({ names }: ScaffoldContext): string {
  const { id, className, valueName } = names;
  return `// The \`${id}\` judge mode: scores each answer by the share of the reference answer's words it contains (0-100),
// with no model calls. Replace \`wordRecall\` with your scoring. A judge that calls a model sets
// \`needsProvider: true\` and sends each request through \`options.calls.complete(options.provider, request,
// { repeat, attempt })\`, so judgekit caches, retries and rate-limits it like its own judges' calls.
import type { JsonSchema, Judge, JudgeFactory, JudgeFactoryOptions, JudgeItemInput, JudgeItemResult, ModelScore } from '@judgekit/core';

/** \`judges[].options\` of a judge with \`"mode": "${id}"\`, defaults filled in by judgekit. */
export interface ${className}Options {
  caseSensitive: boolean;
}

export const ${valueName}OptionsSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    caseSensitive: { type: 'boolean', default: false, description: 'Compare words with their case.' },
  },
};

/** The words of a text: runs of letters and digits. */
export function words(text: string, caseSensitive = false): string[] {
  return (caseSensitive ? text : text.toLowerCase()).match(/[\\p{L}\\p{N}]+/gu) ?? [];
}

/** The share (0-100) of the reference's distinct words that the answer contains; null when the reference has none. */
export function wordRecall(answer: string, reference: string, caseSensitive = false): number | null {
  const wanted = new Set(words(reference, caseSensitive));
  if (wanted.size === 0) return null;
  const given = new Set(words(answer, caseSensitive));
  let found = 0;
  for (const word of wanted) if (given.has(word)) found++;
  return Math.round((100 * found) / wanted.size);
}

export class ${className} implements Judge {
  readonly mode = '${id}';
  readonly description: Judge['description'];
  readonly #options: ${className}Options;

  constructor(options: ${className}Options) {
    this.#options = options;
    // Recorded with every judgment: a rerun redoes the judgments made with other settings.
    this.description = { mode: '${id}', provider: 'none', model: 'word-recall', caseSensitive: options.caseSensitive };
  }

  async scoreItem(input: JudgeItemInput): Promise<JudgeItemResult> {
    const scores = input.answers.map(({ model, response }): ModelScore => {
      const score = wordRecall(response, input.record.output, this.#options.caseSensitive);
      // Failures are data: no score and the reason, never an exception, so the other items go on.
      return score === null ? { model, score: null, failure: 'the reference answer has no words to compare with' } : { model, score };
    });
    return { index: input.index, repeat: input.repeat, scores, calls: 0, cachedCalls: 0, tokenUsage: { prompt: 0, completion: 0 }, attempts: 1 };
  }
}

export const ${valueName}Factory: JudgeFactory = {
  id: '${id}',
  description: "Scores each answer by the share of the reference answer's words it contains; no model calls.",
  optionsSchema: ${valueName}OptionsSchema,
  needsProvider: false,
  // \`options.options\` are the config's \`judges[].options\`, already checked against the schema above.
  create: (options: JudgeFactoryOptions) => new ${className}({ caseSensitive: options.options?.caseSensitive === true }),
};
`;
}

function moduleSource({ names }: ScaffoldContext): string {
  return `// DI wiring of the ${names.id} judge. ContainerModule comes from @judgekit/core, so the plugin has no inversify of
// its own and an application always has one copy.
import { ContainerModule, JudgeFactory } from '@judgekit/core';
import { ${names.valueName}Factory } from './${names.fileStem}.js';

export default new ContainerModule(({ bind }) => {
  bind<JudgeFactory>(JudgeFactory).toConstantValue(${names.valueName}Factory);
});
`;
}

function indexSource({ names }: ScaffoldContext): string {
  return `// ${names.packageName}: a judgekit judge plugin. The default export is the plugin (a ContainerModule); list the
// package under "plugins" in a study config and add a judge \`{ "mode": "${names.id}" }\`.
export { default } from './${names.fileStem}-module.js';
export * from './${names.fileStem}.js';
`;
}

function unitSpec({ names }: ScaffoldContext): string {
  return `import { describe, expect, it } from 'vitest';
import { wordRecall } from './${names.fileStem}.js';

describe('wordRecall', () => {
  it.each([
    { answer: 'Red and blue.', reference: 'red and blue', caseSensitive: false, expected: 100 },
    { answer: 'Blue.', reference: 'Red and blue.', caseSensitive: false, expected: 33 },
    { answer: 'RED and blue', reference: 'red and blue', caseSensitive: true, expected: 67 },
    { answer: 'Green.', reference: 'Red and blue.', caseSensitive: false, expected: 0 },
    { answer: 'anything', reference: '...', caseSensitive: false, expected: null },
  ])('$answer against $reference (case-sensitive: $caseSensitive) is $expected', ({ answer, reference, caseSensitive, expected }) => {
    expect(wordRecall(answer, reference, caseSensitive)).toBe(expected);
  });
});
`;
}

function containerSpec({ names }: ScaffoldContext): string {
  return `// The plugin as judgekit loads it: into a fresh container, its options checked against its schema (defaults
// filled in), then scoring one test item the way judgekit's judge runner calls it.
import { assembleContainer, type JudgeItemInput } from '@judgekit/core';
import { describe, expect, it } from 'vitest';
import plugin from './index.js';

const record = { instruction: 'Name two primary colours.', input: '', output: 'Red and blue.' };
const item: JudgeItemInput = {
  index: 0,
  repeat: 0,
  record,
  prompt: record.instruction,
  answers: [
    { model: 'right', response: 'red and blue' },
    { model: 'wrong', response: 'Green.' },
  ],
};

describe('${names.packageName} in a judgekit container', () => {
  it('registers the ${names.id} judge mode and scores an item', async () => {
    const { registry } = await assembleContainer({ modules: [{ module: plugin, source: { package: '${names.packageName}' } }] });
    expect(registry.ids('judge')).toEqual(['${names.id}']);
    const { value: factory, options } = registry.resolve('judge', '${names.id}', undefined, { file: 'study.json', path: 'judges[0]' });
    expect(options).toEqual({ caseSensitive: false });
    const result = await factory.create({ options }).scoreItem(item);
    expect(result.scores).toEqual([
      { model: 'right', score: 100 },
      { model: 'wrong', score: 0 },
    ]);
  });

  it('names the config path of a bad option', async () => {
    const { registry } = await assembleContainer({ modules: [plugin] });
    expect(() => registry.resolve('judge', '${names.id}', { caseSensitive: 'yes' }, { file: 'study.json', path: 'judges[0]' })).toThrow(
      /study\\.json: judges\\[0\\]\\.options\\.caseSensitive: must be boolean/,
    );
  });
});
`;
}

export const judgePluginTemplate: PluginTemplate = {
  kind: 'judge',
  noun: 'judge mode',
  defaultDescription: (id) => `A judgekit judge plugin: the "${id}" judge mode.`,
  options: [{ name: 'caseSensitive', type: 'boolean', default: '`false`', description: 'Compare words with their case.' }],
  sourceFiles: (context) => ({
    'src/index.ts': indexSource(context),
    [`src/${context.names.fileStem}-module.ts`]: moduleSource(context),
    [`src/${context.names.fileStem}.ts`]: judgeSource(context),
    [`src/${context.names.fileStem}.spec.ts`]: unitSpec(context),
    [`src/${context.names.fileStem}-module.int.spec.ts`]: containerSpec(context),
  }),
  readmeUsage: ({ names }) => `Add it to the study config (\`judgekit run study.json\`), next to any built-in judge:

${FENCE}json
{
  "plugins": ["${names.packageName}"],
  "models": [
    { "name": "small", "answers": "small-ift-test-results.json" },
    { "name": "large", "answers": "large-ift-test-results.json" }
  ],
  "judges": [{ "mode": "reference" }, { "mode": "${names.id}", "options": { "caseSensitive": false } }]
}
${FENCE}

\`results.json\` then has a \`${names.id}\` column beside \`reference\`. Or judge answer files directly:

${FENCE}sh
npx judgekit judge --mode ${names.id} --plugin ${names.packageName} --options '{"caseSensitive": true}' --out runs/${names.id} small-ift-test-results.json large-ift-test-results.json
${FENCE}`,
};

// `judgekit new plugin --kind dataset`: a dataset that reads JSONL files whose fields have other names than
// Alpaca's (`question`/`context`/`answer`, say), mapped by its options, with the checksum judgekit pins. Its tests
// parse records as a pure function and load a file through a judgekit container.
import { FENCE, type PluginTemplate, type ScaffoldContext } from './plugin-template.js';

function datasetSource({ names }: ScaffoldContext): string {
  const { id, className, valueName } = names;
  return `// The \`${id}\` dataset: a JSONL file, one instruction record a line, whose fields the options map onto Alpaca's
// \`instruction\`, \`input\` and \`output\`. Replace the parsing with your format (Parquet, a database, an API) and
// keep the contract: records in, the SHA-256 of what was read, errors that say what to fix.
import { readFile } from 'node:fs/promises';
import { JudgekitError, sha256Hex, type AlpacaRecord, type InstructionDataset, type DatasetSource, type JsonSchema, type LoadedDataset } from '@judgekit/core';

/** \`dataset.options\` of a study with \`"kind": "${id}"\`: the field that holds each part; defaults filled in by judgekit. */
export interface ${className}Options {
  instructionField: string;
  inputField: string;
  outputField: string;
}

export const DEFAULT_FIELDS: Readonly<${className}Options> = Object.freeze({ instructionField: 'instruction', inputField: 'input', outputField: 'output' });

export const ${valueName}OptionsSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    instructionField: { type: 'string', minLength: 1, default: DEFAULT_FIELDS.instructionField, description: 'The field that holds the instruction.' },
    inputField: { type: 'string', minLength: 1, default: DEFAULT_FIELDS.inputField, description: 'The field that holds the optional input.' },
    outputField: { type: 'string', minLength: 1, default: DEFAULT_FIELDS.outputField, description: 'The field that holds the reference answer.' },
  },
};

/** The records of a JSONL text; \`file\` names it in errors. Blank lines are skipped; a missing input is empty. */
export function parseRecords(text: string, file: string, fields: ${className}Options = DEFAULT_FIELDS): AlpacaRecord[] {
  const records: AlpacaRecord[] = [];
  text.split('\\n').forEach((line, index) => {
    if (line.trim() === '') return;
    const where = \`\${file}: line \${index + 1}\`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new JudgekitError('dataset', \`\${where} is not JSON (\${(error as Error).message}); write one JSON object a line.\`, { file, location: \`line \${index + 1}\` });
    }
    const row = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
    const part = (option: keyof ${className}Options, required: boolean): string => {
      const field = fields[option];
      const found = row[field];
      if (typeof found === 'string') return found;
      if (found === undefined && !required) return '';
      throw new JudgekitError('dataset', \`\${where} has no string "\${field}"; set dataset.options.\${option} to the field that holds it.\`, { file, location: \`line \${index + 1}\` });
    };
    records.push({ instruction: part('instructionField', true), input: part('inputField', false), output: part('outputField', true) });
  });
  return records;
}

export class ${className} implements InstructionDataset {
  readonly id = '${id}';
  readonly description = 'Instruction records from a JSONL file whose field names the options give.';
  readonly optionsSchema = ${valueName}OptionsSchema;

  async load(source: DatasetSource): Promise<LoadedDataset> {
    let bytes: Buffer;
    try {
      bytes = await readFile(source.location);
    } catch (error) {
      throw new JudgekitError('dataset', \`cannot read \${source.location}: \${(error as Error).message}; give dataset.location a JSONL file.\`, { file: source.location, cause: error });
    }
    const sha256 = sha256Hex(bytes);
    if (source.sha256 !== undefined && source.sha256 !== sha256) {
      throw new JudgekitError('checksum', \`\${source.location} has SHA-256 \${sha256}, not the pinned \${source.sha256}; check the file or update dataset.sha256.\`, { file: source.location });
    }
    // \`source.options\` are the config's \`dataset.options\`, already checked against the schema above.
    const fields = { ...DEFAULT_FIELDS, ...(source.options as Partial<${className}Options> | undefined) };
    return { source: source.location, sha256, records: parseRecords(bytes.toString('utf8'), source.location, fields) };
  }
}
`;
}

function moduleSource({ names }: ScaffoldContext): string {
  return `// DI wiring of the ${names.id} dataset. ContainerModule comes from @judgekit/core, so the plugin has no inversify of
// its own and an application always has one copy.
import { ContainerModule, InstructionDataset } from '@judgekit/core';
import { ${names.className} } from './${names.fileStem}.js';

export default new ContainerModule(({ bind }) => {
  bind<InstructionDataset>(InstructionDataset).toConstantValue(new ${names.className}());
});
`;
}

function indexSource({ names }: ScaffoldContext): string {
  return `// ${names.packageName}: a judgekit dataset plugin. The default export is the plugin (a ContainerModule); list the
// package under "plugins" in a study config and give \`"dataset": { "kind": "${names.id}", "location": "data.jsonl" }\`.
export { default } from './${names.fileStem}-module.js';
export * from './${names.fileStem}.js';
`;
}

function unitSpec({ names }: ScaffoldContext): string {
  return `import { describe, expect, it } from 'vitest';
import { DEFAULT_FIELDS, parseRecords } from './${names.fileStem}.js';

const renamed = { instructionField: 'question', inputField: 'context', outputField: 'answer' };

describe('parseRecords', () => {
  it.each([
    { text: '{"instruction":"Add.","input":"1 2","output":"3"}', fields: DEFAULT_FIELDS, expected: [{ instruction: 'Add.', input: '1 2', output: '3' }] },
    { text: '{"question":"Hi?","answer":"Hello."}\\n\\n', fields: renamed, expected: [{ instruction: 'Hi?', input: '', output: 'Hello.' }] },
    { text: '', fields: DEFAULT_FIELDS, expected: [] },
  ])('reads $text', ({ text, fields, expected }) => {
    expect(parseRecords(text, 'data.jsonl', fields)).toEqual(expected);
  });

  it.each([
    { text: '{"instruction":"a","output":"b"}\\nnot json', message: /data\\.jsonl: line 2 is not JSON/ },
    { text: '{"instruction":"a"}', message: /data\\.jsonl: line 1 has no string "output"; set dataset\\.options\\.outputField/ },
  ])('says which line is wrong: $message', ({ text, message }) => {
    expect(() => parseRecords(text, 'data.jsonl')).toThrow(message);
  });
});
`;
}

function containerSpec({ names }: ScaffoldContext): string {
  return `// The plugin as judgekit loads it: into a fresh container, its options checked against its schema (defaults
// filled in), then records loaded from a file with the checksum judgekit can pin.
import { assembleContainer, JudgekitError, sha256Hex } from '@judgekit/core';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin from './index.js';

const TEXT = ['{"question":"Name a colour.","answer":"Red."}', '{"question":"Double it.","context":"4","answer":"8"}'].join('\\n');
let dir: string;
let file: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), '${names.id}-dataset-'));
  file = join(dir, 'data.jsonl');
  await writeFile(file, TEXT);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('${names.packageName} in a judgekit container', () => {
  it('loads records with the options a config gives', async () => {
    const { registry } = await assembleContainer({ modules: [{ module: plugin, source: { package: '${names.packageName}' } }] });
    expect(registry.ids('dataset')).toEqual(['${names.id}']);
    const { value: dataset, options } = registry.resolve('dataset', '${names.id}', { instructionField: 'question', inputField: 'context', outputField: 'answer' }, { file: 'study.json', path: 'dataset' });
    const loaded = await dataset.load({ location: file, options });
    expect(loaded.records).toEqual([
      { instruction: 'Name a colour.', input: '', output: 'Red.' },
      { instruction: 'Double it.', input: '4', output: '8' },
    ]);
    expect(loaded.sha256).toBe(sha256Hex(TEXT));
  });

  it('refuses a file whose checksum is not the pinned one', async () => {
    const { registry } = await assembleContainer({ modules: [plugin] });
    const error = await registry.get('dataset', '${names.id}').load({ location: file, sha256: '0'.repeat(64) }).catch((caught: unknown) => caught);
    expect(JudgekitError.is(error, 'checksum')).toBe(true);
  });

  it('names the config path of a bad option', async () => {
    const { registry } = await assembleContainer({ modules: [plugin] });
    expect(() => registry.resolve('dataset', '${names.id}', { questionField: 'q' }, { file: 'study.json', path: 'dataset' })).toThrow(
      /study\\.json: dataset\\.options: unknown option "questionField"/,
    );
  });
});
`;
}

export const datasetPluginTemplate: PluginTemplate = {
  kind: 'dataset',
  noun: 'dataset',
  defaultDescription: (id) => `A judgekit dataset plugin: the "${id}" instruction dataset.`,
  options: [
    { name: 'instructionField', type: 'string', default: '`"instruction"`', description: 'The field that holds the instruction.' },
    { name: 'inputField', type: 'string', default: '`"input"`', description: 'The field that holds the optional input.' },
    { name: 'outputField', type: 'string', default: '`"output"`', description: 'The field that holds the reference answer.' },
  ],
  sourceFiles: (context) => ({
    'src/index.ts': indexSource(context),
    [`src/${context.names.fileStem}-module.ts`]: moduleSource(context),
    [`src/${context.names.fileStem}.ts`]: datasetSource(context),
    [`src/${context.names.fileStem}.spec.ts`]: unitSpec(context),
    [`src/${context.names.fileStem}-module.int.spec.ts`]: containerSpec(context),
  }),
  readmeUsage: ({ names }) => `Select it as the study config's dataset (\`judgekit run study.json\`); judgekit splits its records and
fine-tunes, generates and judges on them as on the built-in \`alpaca\` dataset:

${FENCE}json
{
  "plugins": ["${names.packageName}"],
  "dataset": {
    "kind": "${names.id}",
    "location": "data.jsonl",
    "options": { "instructionField": "question", "inputField": "context", "outputField": "answer" }
  },
  "models": [{ "name": "small", "checkpoint": "small.safetensors" }]
}
${FENCE}

Add \`"sha256"\` to the dataset to pin the file: a changed file then stops the study with a \`checksum\` error.`,
};

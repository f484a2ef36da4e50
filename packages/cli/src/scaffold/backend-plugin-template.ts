// `judgekit new plugin --kind backend`: a backend whose model is a byte-level unigram language model read from a
// JSON checkpoint, small enough to read in one sitting but complete: real token log-likelihoods (so judgekit's
// test-loss protocol runs on it), greedy generation and a tokenizer. Its tests compute a loss through core.
import { FENCE, type PluginTemplate, type ScaffoldContext } from './plugin-template.js';

function backendSource({ names }: ScaffoldContext): string {
  const { id, className, valueName } = names;
  return `// The \`${id}\` backend: a byte-level unigram language model whose checkpoint is a JSON file of byte counts,
// \`{ "kind": "byte-unigram", "contextLength": 64, "counts": { "101": 12, ... } }\`. Replace the model with yours and
// keep the shape: two loaders, a Tokenizer, and JudgekitErrors that say what to fix.
import { readFile } from 'node:fs/promises';
import {
  JudgekitError,
  type BackendOptions,
  type GenerationOptions,
  type GenerativeModel,
  type JsonSchema,
  type LikelihoodModel,
  type ModelBackend,
  type ModelSpec,
  type TokenLogLikelihoods,
  type Tokenizer,
  type TokenizerEncodeOptions,
} from '@judgekit/core';

/** Token ids 0-255 are the bytes of UTF-8 text; 256 ends a document. */
export const END_OF_TEXT = 256;
export const VOCAB_SIZE = 257;
const END_OF_TEXT_MARKER = '<|endoftext|>';

export const byteTokenizer: Tokenizer = {
  id: 'UTF-8 bytes',
  endOfText: END_OF_TEXT,
  encode(text: string, options: TokenizerEncodeOptions = {}): number[] {
    const parts = text.split(END_OF_TEXT_MARKER);
    if (parts.length > 1 && !options.allowEndOfText) {
      throw new JudgekitError('input', \`the text holds "\${END_OF_TEXT_MARKER}"; pass { allowEndOfText: true } to read it as the end-of-text token.\`);
    }
    const encoder = new TextEncoder();
    return parts.flatMap((part, index) => [...(index > 0 ? [END_OF_TEXT] : []), ...encoder.encode(part)]);
  },
  decode(ids: readonly number[]): string {
    const decoder = new TextDecoder();
    let text = '';
    let bytes: number[] = [];
    for (const id of ids) {
      if (id !== END_OF_TEXT) bytes.push(id);
      else {
        text += decoder.decode(new Uint8Array(bytes)) + END_OF_TEXT_MARKER;
        bytes = [];
      }
    }
    return text + decoder.decode(new Uint8Array(bytes));
  },
};

/** \`models[].options\` of a model with \`"backend": "${id}"\`, defaults filled in by judgekit. */
export interface ${className}Options {
  smoothing: number;
}

export const ${valueName}OptionsSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    smoothing: { type: 'number', exclusiveMinimum: 0, default: 1, description: 'Added to every byte count (Laplace smoothing).' },
  },
};

export interface ByteUnigramCheckpoint {
  kind: 'byte-unigram';
  contextLength: number;
  /** Occurrences of each token id in the training text. */
  counts: Record<string, number>;
}

/** Log-probability of every token: (count + smoothing) / (total + smoothing * VOCAB_SIZE). */
export function logProbabilities(counts: Readonly<Record<string, number>>, smoothing: number): Float64Array {
  const smoothed = new Float64Array(VOCAB_SIZE).fill(smoothing);
  for (const [token, count] of Object.entries(counts)) smoothed[Number(token)] = (smoothed[Number(token)] ?? 0) + count;
  const total = smoothed.reduce((sum, value) => sum + value, 0);
  return smoothed.map((value) => Math.log(value / total));
}

export async function readCheckpoint(path: string): Promise<ByteUnigramCheckpoint> {
  let parsed: Partial<ByteUnigramCheckpoint>;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<ByteUnigramCheckpoint>;
  } catch (error) {
    throw new JudgekitError('model', \`\${path}: cannot read a ${id} checkpoint: \${(error as Error).message}\`, { file: path, cause: error });
  }
  if (parsed.kind !== 'byte-unigram' || typeof parsed.counts !== 'object' || parsed.counts === null) {
    throw new JudgekitError('model', \`\${path} is not a ${id} checkpoint: it needs "kind": "byte-unigram" and a "counts" object.\`, { file: path });
  }
  for (const [token, count] of Object.entries(parsed.counts)) {
    const id = Number(token);
    if (!Number.isInteger(id) || id < 0 || id >= VOCAB_SIZE || typeof count !== 'number' || !(count >= 0)) {
      throw new JudgekitError('model', \`\${path}: counts["\${token}"] must be a count (>= 0) of a token id from 0 to \${VOCAB_SIZE - 1}.\`, { file: path, location: \`counts.\${token}\` });
    }
  }
  const contextLength = parsed.contextLength ?? 64;
  if (!Number.isInteger(contextLength) || contextLength < 1) throw new JudgekitError('model', \`\${path}: "contextLength" must be a positive integer.\`, { file: path });
  return { kind: 'byte-unigram', contextLength, counts: parsed.counts };
}

class ${className}LikelihoodModel implements LikelihoodModel {
  readonly tokenizer = byteTokenizer;

  constructor(
    readonly contextLength: number,
    private readonly logp: Float64Array,
  ) {}

  async tokenNll(inputs: Int32Array, targets: Int32Array, batch: number, sequence: number): Promise<TokenLogLikelihoods> {
    const nll = new Float32Array(batch * sequence);
    targets.forEach((target, i) => {
      if (target === -100) return;
      const logp = this.logp[target];
      if (logp === undefined) throw new JudgekitError('input', \`token \${target} at position \${i} is outside the vocabulary (0-\${VOCAB_SIZE - 1}).\`);
      nll[i] = -logp;
    });
    return { nll, batch, sequence };
  }

  async dispose(): Promise<void> {}
}

class ${className}GenerativeModel implements GenerativeModel {
  readonly tokenizer = byteTokenizer;

  constructor(
    readonly contextLength: number,
    private readonly logp: Float64Array,
  ) {}

  /** Greedy: a unigram model's most likely token, every time, until the stop token or the token budget. */
  async generate(prompts: number[][], options: GenerationOptions = {}): Promise<number[][]> {
    const best = this.logp.indexOf(Math.max(...this.logp));
    const stop = options.stopToken ?? END_OF_TEXT;
    const length = best === stop ? 0 : (options.maxNewTokens ?? 256);
    return prompts.map(() => new Array<number>(length).fill(best));
  }

  async dispose(): Promise<void> {}
}

export class ${className} implements ModelBackend {
  readonly id = '${id}';
  readonly description = 'A byte-level unigram language model read from a JSON file of byte counts.';
  readonly optionsSchema = ${valueName}OptionsSchema;

  async loadLikelihoodModel(spec: ModelSpec, options: BackendOptions = {}): Promise<LikelihoodModel> {
    const checkpoint = await readCheckpoint(spec.path);
    return new ${className}LikelihoodModel(checkpoint.contextLength, logProbabilities(checkpoint.counts, smoothing(options)));
  }

  async loadGenerativeModel(spec: ModelSpec, options: BackendOptions = {}): Promise<GenerativeModel> {
    const checkpoint = await readCheckpoint(spec.path);
    return new ${className}GenerativeModel(checkpoint.contextLength, logProbabilities(checkpoint.counts, smoothing(options)));
  }
}

/** \`options.options\` are the config's \`models[].options\`, already checked against the schema above. */
function smoothing(options: BackendOptions): number {
  return (options.options?.smoothing as number | undefined) ?? 1;
}
`;
}

function moduleSource({ names }: ScaffoldContext): string {
  return `// DI wiring of the ${names.id} backend. ContainerModule comes from @judgekit/core, so the plugin has no inversify of
// its own and an application always has one copy.
import { ContainerModule, ModelBackend } from '@judgekit/core';
import { ${names.className} } from './${names.fileStem}.js';

export default new ContainerModule(({ bind }) => {
  bind<ModelBackend>(ModelBackend).toConstantValue(new ${names.className}());
});
`;
}

function indexSource({ names }: ScaffoldContext): string {
  return `// ${names.packageName}: a judgekit backend plugin. The default export is the plugin (a ContainerModule); list the
// package under "plugins" in a study config and give a model \`"backend": "${names.id}"\`.
export { default } from './${names.fileStem}-module.js';
export * from './${names.fileStem}.js';
`;
}

function unitSpec({ names }: ScaffoldContext): string {
  return `import { describe, expect, it } from 'vitest';
import { byteTokenizer, END_OF_TEXT, logProbabilities, VOCAB_SIZE } from './${names.fileStem}.js';

describe('byteTokenizer', () => {
  it.each([
    { text: 'ab', allowEndOfText: false, ids: [97, 98] },
    { text: 'é', allowEndOfText: false, ids: [195, 169] },
    { text: 'a<|endoftext|>b', allowEndOfText: true, ids: [97, END_OF_TEXT, 98] },
  ])('encodes $text and decodes it back', ({ text, allowEndOfText, ids }) => {
    expect(byteTokenizer.encode(text, { allowEndOfText })).toEqual(ids);
    expect(byteTokenizer.decode(ids)).toBe(text);
  });

  it('refuses the end-of-text marker unless asked to read it', () => {
    expect(() => byteTokenizer.encode('a<|endoftext|>')).toThrow(/allowEndOfText/);
  });
});

describe('logProbabilities', () => {
  it.each<{ counts: Record<string, number>; smoothing: number; token: number; expected: number }>([
    { counts: {}, smoothing: 1, token: 97, expected: -Math.log(VOCAB_SIZE) },
    { counts: { '97': 3 }, smoothing: 1, token: 97, expected: Math.log(4 / (3 + VOCAB_SIZE)) },
    { counts: { '97': 3, '98': 1 }, smoothing: 0.5, token: 98, expected: Math.log(1.5 / (4 + 0.5 * VOCAB_SIZE)) },
  ])('token $token of $counts with smoothing $smoothing', ({ counts, smoothing, token, expected }) => {
    expect(logProbabilities(counts, smoothing)[token]).toBeCloseTo(expected, 12);
  });
});
`;
}

function containerSpec({ names }: ScaffoldContext): string {
  return `// The plugin as judgekit loads it: into a fresh container, its options checked against its schema, then test
// loss computed by judgekit's own protocol (computeTestLoss) over a tiny token stream.
import { assembleContainer, computeTestLoss, tokenSourceFromArray } from '@judgekit/core';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin, { byteTokenizer, VOCAB_SIZE } from './index.js';

let dir: string;
let checkpoint: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), '${names.id}-backend-'));
  checkpoint = join(dir, 'model.json');
  // "Trained" on "aaab": three a's, one b.
  await writeFile(checkpoint, JSON.stringify({ kind: 'byte-unigram', contextLength: 8, counts: { '97': 3, '98': 1 } }));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('${names.packageName} in a judgekit container', () => {
  it('computes test loss through core', async () => {
    const { registry } = await assembleContainer({ modules: [{ module: plugin, source: { package: '${names.packageName}' } }] });
    expect(registry.ids('backend')).toEqual(['${names.id}']);
    const { value: backend, options } = registry.resolve('backend', '${names.id}', { smoothing: 0.5 }, { file: 'study.json', path: 'models[0]' });
    const model = await backend.loadLikelihoodModel({ path: checkpoint }, { options });
    try {
      // Targets are the inputs shifted by one: b, a, b.
      const tokens = tokenSourceFromArray(byteTokenizer.encode('abab'), '"abab"');
      const result = await computeTestLoss(model, tokens, { contextLength: 8, batchSize: 1 });
      const total = 4 + 0.5 * VOCAB_SIZE;
      const expected = -(2 * Math.log(1.5 / total) + Math.log(3.5 / total)) / 3;
      expect(result.tokens).toBe(3);
      expect(result.loss).toBeCloseTo(expected, 5);
      expect(result.protocol.kind).toBe('non-overlapping');
    } finally {
      await model.dispose();
    }
  });

  it('generates greedily', async () => {
    const { registry } = await assembleContainer({ modules: [plugin] });
    const model = await registry.get('backend', '${names.id}').loadGenerativeModel({ path: checkpoint });
    const [completion] = await model.generate([byteTokenizer.encode('Say:')], { maxNewTokens: 3 });
    expect(model.tokenizer.decode(completion ?? [])).toBe('aaa');
  });

  it('says what is wrong with a file that is not a checkpoint', async () => {
    const path = join(dir, 'wrong.json');
    await writeFile(path, JSON.stringify({ counts: {} }));
    const { registry } = await assembleContainer({ modules: [plugin] });
    await expect(registry.get('backend', '${names.id}').loadLikelihoodModel({ path })).rejects.toThrow(/wrong\\.json is not a ${names.id} checkpoint/);
  });
});
`;
}

export const backendPluginTemplate: PluginTemplate = {
  kind: 'backend',
  noun: 'backend',
  defaultDescription: (id) => `A judgekit backend plugin: the "${id}" model backend.`,
  options: [{ name: 'smoothing', type: 'number (> 0)', default: '`1`', description: 'Added to every byte count (Laplace smoothing).' }],
  sourceFiles: (context) => ({
    'src/index.ts': indexSource(context),
    [`src/${context.names.fileStem}-module.ts`]: moduleSource(context),
    [`src/${context.names.fileStem}.ts`]: backendSource(context),
    [`src/${context.names.fileStem}.spec.ts`]: unitSpec(context),
    [`src/${context.names.fileStem}-module.int.spec.ts`]: containerSpec(context),
  }),
  readmeUsage: ({ names }) => `Give a model of the study config (\`judgekit run study.json\`) this backend; models without \`"backend"\`
keep the built-in \`onnxruntime\`:

${FENCE}json
{
  "plugins": ["${names.packageName}"],
  "models": [
    { "name": "bytes", "backend": "${names.id}", "checkpoint": "model.json", "options": { "smoothing": 0.5 } },
    { "name": "gpt2", "checkpoint": "gpt2.safetensors" }
  ],
  "loss": { "data": "held-out.txt", "contextLength": 64 }
}
${FENCE}

judgekit computes test loss with its own protocol (windows, batches, the protocol written beside the result) from
the \`tokenNll\` your \`LikelihoodModel\` returns, and generates the test answers through your \`GenerativeModel\`, so
its numbers compare with every other backend's.`,
};

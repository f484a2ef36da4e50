// Property tests of the study config loader: any JSON value, any file text, and valid configs with one field
// broken are either accepted or rejected with a JudgekitError('config') naming the file and a JSON pointer
// that really points into the config.
import fc from 'fast-check';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JudgekitError } from '../errors.js';
import { loadStudyConfig, validateStudyConfig } from './study-config.js';

const RUNS = { numRuns: 200 };
const FILE = '/configs/study.json';

const validConfig = fc.record(
  {
    plugins: fc.array(fc.constantFrom('@judgekit/judges', './my-plugin.js'), { maxLength: 2 }),
    runDir: fc.constantFrom('runs/a', 'out'),
    seed: fc.integer(),
    device: fc.constantFrom('auto', 'cpu', 'cuda', 'webgpu'),
    models: fc.array(fc.record({ name: fc.string({ minLength: 1, maxLength: 8 }), answers: fc.string({ maxLength: 10 }) }, { requiredKeys: ['name'] }), { minLength: 1, maxLength: 3 }),
    dataset: fc.record({ location: fc.string({ maxLength: 10 }), template: fc.constantFrom('book', 'study'), limit: fc.integer({ min: 1, max: 1000 }) }, { requiredKeys: ['location'] }),
    judges: fc.array(fc.record({ mode: fc.constantFrom('single', 'batched', 'reference'), repeats: fc.integer({ min: 1, max: 5 }) }, { requiredKeys: ['mode'] }), { maxLength: 3 }),
  },
  { requiredKeys: [] },
);

/** Segments of a JSON pointer, unescaped. */
function pointerSegments(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function resolvePointer(value: unknown, pointer: string): { found: boolean } {
  let node = value;
  for (const segment of pointerSegments(pointer)) {
    if (typeof node !== 'object' || node === null || !Object.prototype.hasOwnProperty.call(node, segment)) return { found: false };
    node = (node as Record<string, unknown>)[segment];
  }
  return { found: true };
}

/** A valid config with the value at one path replaced by something random. */
const brokenConfig = fc.tuple(validConfig, fc.nat(), fc.jsonValue({ maxDepth: 2 }), fc.string({ minLength: 1, maxLength: 12 })).map(([config, pick, replacement, newKey]) => {
  const copy = structuredClone(config) as Record<string, unknown>;
  const objects: Array<Record<string, unknown>> = [];
  const walk = (node: unknown): void => {
    if (typeof node === 'object' && node !== null) {
      objects.push(node as Record<string, unknown>);
      for (const child of Object.values(node)) walk(child);
    }
  };
  walk(copy);
  const target = objects[pick % objects.length] as Record<string, unknown>;
  const keys = Object.keys(target);
  const key = keys.length > 0 && pick % 3 !== 0 ? (keys[pick % keys.length] as string) : newKey;
  // A new entry of an array goes at its end: a random string key there could be "length" (a RangeError for most
  // replacements, not a broken config) or a huge index.
  if (Array.isArray(target) && key === newKey) (target as unknown[]).push(replacement);
  else target[key] = replacement;
  // Through JSON, as a config file arrives.
  return JSON.parse(JSON.stringify(copy)) as unknown;
});

function expectConfigRejection(error: unknown, file: string, value?: unknown): void {
  expect(JudgekitError.is(error, 'config')).toBe(true);
  const problem = error as JudgekitError;
  expect(problem.file).toBe(file);
  expect(problem.message).toContain(file);
  if (value !== undefined) {
    expect(problem.location).toMatch(/^\//);
    expect(resolvePointer(value, problem.location as string).found).toBe(true);
  }
}

describe('validateStudyConfig', () => {
  it('accepts generated valid configs unchanged', () => {
    fc.assert(
      fc.property(validConfig, (config) => {
        expect(validateStudyConfig(config, FILE)).toBe(config);
      }),
      RUNS,
    );
  });

  it('any JSON value or broken config is accepted or rejected naming the file and a pointer into it', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue({ maxDepth: 3 }), brokenConfig), (value) => {
        try {
          validateStudyConfig(value, FILE);
        } catch (error) {
          expectConfigRejection(error, FILE, value);
        }
      }),
      RUNS,
    );
  });
});

describe('loadStudyConfig on any file text', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'judgekit-config-property-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('rejects unreadable, non-JSON and invalid files with the file named', async () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.json({ maxDepth: 3 }),
      brokenConfig.map((config) => JSON.stringify(config)),
      brokenConfig.chain((config) => fc.nat().map((cut) => JSON.stringify(config).slice(0, cut % (JSON.stringify(config).length + 1)))),
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(text, async (content) => {
        const file = join(dir, `study-${n++}.json`);
        await writeFile(file, content);
        try {
          const loaded = await loadStudyConfig(file);
          expect(loaded.file).toBe(file);
        } catch (error) {
          expectConfigRejection(error, file);
        }
      }),
      { numRuns: 100 },
    );
    await expect(loadStudyConfig(join(dir, 'missing.json'))).rejects.toSatisfy((error: unknown) => {
      expectConfigRejection(error, join(dir, 'missing.json'));
      return true;
    });
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JudgekitError } from '../errors.js';
import { assertAnswersAgree, loadAnswerFile, loadAnswerFiles, modelNameFromFile } from './answer-file.js';

describe('modelNameFromFile', () => {
  it.each([
    ['runs/gpt2-medium-ift-test-results.json', 'gpt2-medium'],
    ['/a/b/local-fineweb-ift-test-results.json', 'local-fineweb'],
    ['answers.json', 'answers'],
    ['x/instruction-data-with-response.json', 'instruction-data-with-response'],
    ['model.v2-ift-test-results', 'model.v2'],
    ['-ift-test-results.json', '-ift-test-results'],
    ['C.JSON', 'C'],
  ])('%s → %s', (path, name) => {
    expect(modelNameFromFile(path)).toBe(name);
  });
});

describe('answer files', () => {
  let dir = '';
  const item = (i: number, response = `answer ${i}`) => ({ instruction: `q${i}`, input: i % 2 ? 'in' : '', output: `o${i}`, model_response: response });
  const write = async (name: string, value: unknown): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, typeof value === 'string' ? value : JSON.stringify(value));
    return path;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'judgekit-answers-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads a file and names the model after it', async () => {
    const path = await write('small-ift-test-results.json', [item(0), item(1)]);
    const answers = await loadAnswerFile(path);
    expect(answers).toEqual({ name: 'small', file: path, records: [item(0), item(1)] });
  });

  it('names file, record and field of a bad record', async () => {
    const path = await write('bad-ift-test-results.json', [item(0), { instruction: 'q', input: '', output: 'o', model_response: null }]);
    await expect(loadAnswerFile(path)).rejects.toThrowError(/bad-ift-test-results\.json: record 1 has `model_response` of type null \(expected a string\)/);
    const missing = await write('missing.json', [{ instruction: 'q', input: '', output: 'o' }]);
    await expect(loadAnswerFile(missing)).rejects.toThrowError(/missing\.json: record 0 has no `model_response` field/);
  });

  it('reports invalid JSON and unreadable files', async () => {
    const path = await write('broken.json', '[{"instruction": ');
    await expect(loadAnswerFile(path)).rejects.toSatisfy((e: unknown) => JudgekitError.is(e, 'dataset') && /broken\.json: not valid JSON/.test(e.message));
    await expect(loadAnswerFile(join(dir, 'absent.json'))).rejects.toSatisfy((e: unknown) => JudgekitError.is(e, 'input') && /ENOENT/.test(e.message));
  });

  it('loads several agreeing files in order', async () => {
    const a = await write('a-ift-test-results.json', [item(0), item(1, 'x')]);
    const b = await write('b-ift-test-results.json', [item(0, 'y'), item(1)]);
    const answers = await loadAnswerFiles([a, b]);
    expect(answers.map((m) => m.name)).toEqual(['a', 'b']);
    expect(answers[1]?.records[0]?.model_response).toBe('y');
  });

  it('refuses files of different lengths', async () => {
    const a = await write('len-a.json', [item(0), item(1)]);
    const b = await write('len-b.json', [item(0)]);
    await expect(loadAnswerFiles([a, b])).rejects.toThrowError(/len-b\.json has 1 answers but .*len-a\.json has 2/);
  });

  it.each([
    ['instruction', { instruction: 'other' }],
    ['input', { input: 'other' }],
    ['output', { output: 'other' }],
  ])('refuses files whose items differ in %s, naming both files, the item and the field', async (field, change) => {
    const a = await write(`diff-${field}-a.json`, [item(0), item(1), item(2)]);
    const b = await write(`diff-${field}-b.json`, [item(0), item(1), { ...item(2), ...change }]);
    const error = await loadAnswerFiles([a, b]).catch((e: unknown) => e);
    expect(JudgekitError.is(error, 'input')).toBe(true);
    expect((error as Error).message).toMatch(new RegExp(`diff-${field}-b\\.json and .*diff-${field}-a\\.json disagree at item 2, field \`${field}\``));
  });

  it('refuses two models with the same name', async () => {
    const a = await write('same-ift-test-results.json', [item(0)]);
    const b = await write('same.json', [item(0)]);
    await expect(loadAnswerFiles([a, b])).rejects.toThrowError(/both named "same"/);
  });

  it('accepts nothing and one', () => {
    expect(() => assertAnswersAgree([])).not.toThrow();
    expect(() => assertAnswersAgree([{ name: 'm', records: [item(0)] }])).not.toThrow();
  });
});

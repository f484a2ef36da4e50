// Answer files beyond the study's one-model JSON array: files holding several models' answers in `<model> response`
// columns (the book's eval-example-data.json), JSON Lines read line by line, and the size cap on JSON files.
import { existsSync } from 'node:fs';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JudgekitError } from '../errors.js';
import { DEFAULT_MAX_ANSWERS_BYTES, loadAnswerFile, loadAnswerFiles, loadAnswerSets, loadModelAnswers } from './answer-file.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const bookEval = resolve(repoRoot, '../shared/data/book-answers/eval-example-data.json');
const hasBookEval = existsSync(bookEval);

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'judgekit-answer-formats-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
const write = async (name: string, text: string): Promise<string> => {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
};
const base = (i: number) => ({ instruction: `q${i}`, input: i % 2 ? 'in' : '', output: `o${i}` });
const twoModels = (i: number) => ({ ...base(i), 'model 1 response': `\nfirst ${i}`, 'model 2 response': `second ${i}` });

describe('answer files with several models\' answers', () => {
  it('gives one model per `<model> response` column, named after the column, in the file\'s order', async () => {
    const path = await write('pair.json', JSON.stringify([twoModels(0), twoModels(1)]));
    const sets = await loadAnswerSets(path);
    expect(sets.map((set) => [set.name, set.column, set.file])).toEqual([
      ['model 1', 'model 1 response', path],
      ['model 2', 'model 2 response', path],
    ]);
    expect(sets[0]?.records[0]).toEqual({ ...base(0), model_response: '\nfirst 0' });
    expect(sets[1]?.records[1]).toEqual({ ...base(1), model_response: 'second 1' });
  });

  it('names the models from a mapping given by column or by model name', async () => {
    const path = await write('pair-named.json', JSON.stringify([twoModels(0)]));
    const sets = await loadAnswerSets(path, { names: { 'model 1 response': 'gpt-4-turbo', 'model 2': 'llama-3' } });
    expect(sets.map((set) => set.name)).toEqual(['gpt-4-turbo', 'llama-3']);
  });

  it('loadAnswerFiles expands such a file into its models beside one-model files, and checks they agree', async () => {
    const pair = await write('pair-mixed.json', JSON.stringify([twoModels(0), twoModels(1)]));
    const single = await write('third-ift-test-results.json', JSON.stringify([0, 1].map((i) => ({ ...base(i), model_response: `third ${i}` }))));
    const answers = await loadAnswerFiles([pair, single]);
    expect(answers.map((model) => model.name)).toEqual(['model 1', 'model 2', 'third']);
    const short = await write('third-short.json', JSON.stringify([{ ...base(0), model_response: 'x' }]));
    await expect(loadAnswerFiles([pair, short])).rejects.toThrowError(/third-short\.json has 1 answers but .*pair-mixed\.json has 2/);
  });

  it('loadAnswerFile refuses a file with several answer columns unless told which to read, naming them', async () => {
    const path = await write('pair-one.json', JSON.stringify([twoModels(0)]));
    await expect(loadAnswerFile(path)).rejects.toThrowError(/pair-one\.json holds several models' answers \(`model 1 response`, `model 2 response`\)/);
    const second = await loadAnswerFile(path, { response: 'model 2 response', name: 'B' });
    expect(second).toMatchObject({ name: 'B', column: 'model 2 response', records: [{ model_response: 'second 0' }] });
    const models = await loadModelAnswers([{ path, response: 'model 1 response' }, { path, response: 'model 2 response' }]);
    expect(models.map((model) => model.name)).toEqual(['model 1', 'model 2']);
  });

  it('refuses a file whose first record has no answer field, listing the keys looked for and the keys it has, with file, record and field', async () => {
    const path = await write('no-answer.json', JSON.stringify([{ ...base(0), answer: 'x', 'model 1 reply': 'y' }]));
    const error = await loadAnswerFile(path).catch((e: unknown) => e);
    expect(JudgekitError.is(error, 'dataset')).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain(`${path}: record 0 has no \`model_response\` field, nor any \`<model> response\` field (such as \`model 1 response\``);
    expect(message).toContain('Its keys: `instruction`, `input`, `output`, `answer`, `model 1 reply`.');
    expect(error).toMatchObject({ file: path, location: 'record 0, field model_response' });
    await expect(loadAnswerFiles([path])).rejects.toThrowError(/record 0 has no `model_response` field, nor any `<model> response` field/);
  });

  it('names the record and the column when a later record lacks one model\'s answer', async () => {
    const { 'model 2 response': _dropped, ...partial } = twoModels(2);
    const path = await write('pair-gap.json', JSON.stringify([twoModels(0), twoModels(1), partial]));
    await expect(loadAnswerSets(path)).rejects.toThrowError(/pair-gap\.json: record 2 has no `model 2 response` field \(expected a string\)/);
  });

  it.skipIf(!hasBookEval)(`reads the book's eval-example-data.json as models "model 1" and "model 2" with 100 answers each${hasBookEval ? '' : ` (skipped: ${bookEval} is absent)`}`, async () => {
    const answers = await loadAnswerFiles([bookEval]);
    expect(answers.map((model) => [model.name, model.records.length])).toEqual([
      ['model 1', 100],
      ['model 2', 100],
    ]);
    expect(answers[0]?.records[0]).toEqual({
      instruction: 'Calculate the hypotenuse of a right triangle with legs of 6 cm and 8 cm.',
      input: '',
      output: 'The hypotenuse of the triangle is 10 cm.',
      model_response: '\nThe hypotenuse of the triangle is 3 cm.',
    });
    expect(answers[1]?.records[0]?.model_response).toBe('\nThe hypotenuse of the triangle is 12 cm.');
  });
});

describe('answer file size and JSON Lines', () => {
  const saved = process.env.JUDGEKIT_MAX_ANSWERS_BYTES;
  afterEach(() => {
    if (saved === undefined) delete process.env.JUDGEKIT_MAX_ANSWERS_BYTES;
    else process.env.JUDGEKIT_MAX_ANSWERS_BYTES = saved;
  });

  it('refuses a JSON answer file over the default 256 MiB cap before reading it, naming the file, its size and the cap', async () => {
    delete process.env.JUDGEKIT_MAX_ANSWERS_BYTES;
    // A sparse file: 300 MiB long, nothing written, so the test costs no disk and no memory.
    const path = join(dir, 'huge-ift-test-results.json');
    const handle = await open(path, 'w');
    await handle.truncate(300 * 2 ** 20);
    await handle.close();
    const error = await loadAnswerFiles([path]).catch((e: unknown) => e);
    expect(JudgekitError.is(error, 'input')).toBe(true);
    expect((error as Error).message).toContain(`Answer file ${path} is 300.0 MiB (${300 * 2 ** 20} bytes), over the 256.0 MiB cap for JSON answer files`);
    expect((error as Error).message).toContain('JUDGEKIT_MAX_ANSWERS_BYTES');
    expect(DEFAULT_MAX_ANSWERS_BYTES).toBe(256 * 2 ** 20);
  });

  it('takes a lower cap from JUDGEKIT_MAX_ANSWERS_BYTES for JSON, while the same records as JSON Lines load line by line', async () => {
    const records = [0, 1, 2].map((i) => ({ ...base(i), model_response: `answer ${i} ${'x'.repeat(200)}` }));
    const json = await write('capped-ift-test-results.json', JSON.stringify(records));
    const jsonl = await write('capped-ift-test-results.jsonl', `${records.map((record) => JSON.stringify(record)).join('\n')}\n`);
    process.env.JUDGEKIT_MAX_ANSWERS_BYTES = '512';
    await expect(loadAnswerFile(json)).rejects.toThrowError(/capped-ift-test-results\.json is 0\.0 MiB \(\d+ bytes\), over the 0\.0 MiB cap/);
    const answers = await loadAnswerFile(jsonl);
    expect(answers).toEqual({ name: 'capped', file: jsonl, records });
  });

  it('names the line of a JSON Lines record that is broken or lacks a field, and skips blank lines', async () => {
    const good = (i: number) => JSON.stringify({ ...base(i), model_response: `a${i}` });
    const broken = await write('broken.jsonl', `${good(0)}\n\n{"instruction": \n`);
    await expect(loadAnswerFile(broken)).rejects.toThrowError(/broken\.jsonl: line 3 is not valid JSON/);
    const missing = await write('missing.jsonl', `${good(0)}\n\n${JSON.stringify({ instruction: 'q', input: '', model_response: 'a' })}\n`);
    await expect(loadAnswerFile(missing)).rejects.toThrowError(/missing\.jsonl: line 3 has no `output` field/);
    const pair = await write('pair.jsonl', `${JSON.stringify(twoModels(0))}\n${JSON.stringify(twoModels(1))}`);
    expect((await loadAnswerSets(pair)).map((set) => [set.name, set.records.length])).toEqual([
      ['model 1', 2],
      ['model 2', 2],
    ]);
  });
});

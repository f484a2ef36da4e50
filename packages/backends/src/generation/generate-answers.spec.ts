import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatAlpacaPrompt, type AlpacaRecord, type GenerationOptions, type GenerativeModel } from '@judgekit/core';
import { gpt2Tokenizer } from '../tokenizer/gpt2-tokenizer.js';
import { extractAnswerText } from './answer-text.js';
import { generateAnswers } from './generate-answers.js';
import { SessionGenerativeModel } from './session-generative-model.js';
import { ToyDecoderSession } from './testing/toy-decoder-session.js';

/** Printable ASCII as ids 0..95, so a toy model with 97 tokens (96 = end of text) writes readable text. */
const charTokenizer = {
  endOfTextId: 96,
  encode: (text: string) => Array.from(text, (c) => Math.min(95, Math.max(0, c.charCodeAt(0) - 32))),
  decode: (ids: ArrayLike<number> | Iterable<number>) =>
    Array.from(ids as Iterable<number>, (id) => (id === 96 ? '<|endoftext|>' : String.fromCharCode(id + 32))).join(''),
};

const RECORDS: AlpacaRecord[] = Array.from({ length: 7 }, (_, i) => ({
  instruction: `Task ${i}: ${'say something '.repeat(i % 3)}`.trim(),
  input: i % 2 === 0 ? '' : `input ${i}`,
  output: `answer ${i}`,
}));

class CountingModel implements GenerativeModel {
  calls: number[][][] = [];
  failOnCall: number | undefined;
  constructor(readonly inner: GenerativeModel) {}
  get contextLength() {
    return this.inner.contextLength;
  }
  async generate(prompts: number[][], options?: GenerationOptions): Promise<number[][]> {
    this.calls.push(prompts);
    if (this.failOnCall === this.calls.length) throw new Error('interrupted');
    return this.inner.generate(prompts, options);
  }
  dispose() {
    return this.inner.dispose();
  }
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'judgekit-generate-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function toyModel() {
  return new SessionGenerativeModel(new ToyDecoderSession({ vocabSize: 97, contextLength: 128 }));
}

describe('generateAnswers', () => {
  it('writes {name}-ift-test-results.json in test-split order with the study\'s answer text', async () => {
    const result = await generateAnswers({ model: toyModel(), records: RECORDS, out: dir, name: 'toy', batchSize: 3, maxNewTokens: 12, tokenizer: charTokenizer });
    expect(result.path).toBe(join(dir, 'toy-ift-test-results.json'));
    const written = JSON.parse(await readFile(result.path, 'utf8')) as Record<string, string>[];
    expect(written.map((r) => r.instruction)).toEqual(RECORDS.map((r) => r.instruction));
    expect(Object.keys(written[0] ?? {})).toEqual(['instruction', 'input', 'output', 'model_response']);
    // Each answer is what one-prompt generation gives, decoded and cut as the study does.
    const single = toyModel();
    for (const [index, record] of RECORDS.entries()) {
      const prompt = formatAlpacaPrompt(record, 'book');
      const ids = charTokenizer.encode(prompt);
      const [completion] = await single.generate([ids], { maxNewTokens: 12, stopToken: 96, batchSize: 1 });
      expect(written[index]?.model_response).toBe(extractAnswerText(charTokenizer.decode([...ids, ...(completion ?? [])]), prompt));
    }
    expect(result).toMatchObject({ generated: 7, resumed: 0 });
  });

  it('resumes an interrupted run, generating only the missing items', async () => {
    const options = { records: RECORDS, out: dir, name: 'toy', batchSize: 3, maxNewTokens: 6, tokenizer: charTokenizer };
    const uninterrupted = await generateAnswers({ ...options, out: join(dir, 'whole'), model: toyModel() });

    const first = new CountingModel(toyModel());
    first.failOnCall = 2;
    await expect(generateAnswers({ ...options, model: first })).rejects.toThrow('interrupted');
    const log = await readFile(join(dir, 'toy.generation.jsonl'), 'utf8');
    expect(log.trim().split('\n')).toHaveLength(3);

    const second = new CountingModel(toyModel());
    const resumed = await generateAnswers({ ...options, model: second });
    expect(resumed).toMatchObject({ generated: 4, resumed: 3 });
    expect(second.calls.flat()).toHaveLength(4);
    expect(resumed.answers).toEqual(uninterrupted.answers);
  });

  it('ignores logged answers made with other settings or for other records', async () => {
    const options = { records: RECORDS, out: dir, name: 'toy', batchSize: 4, maxNewTokens: 5, tokenizer: charTokenizer };
    await generateAnswers({ ...options, model: toyModel() });
    const again = await generateAnswers({ ...options, maxNewTokens: 6, model: toyModel() });
    expect(again.generated).toBe(7);
    const changed = RECORDS.map((r, i) => (i === 2 ? { ...r, output: 'different' } : r));
    const third = await generateAnswers({ ...options, maxNewTokens: 6, records: changed, model: toyModel() });
    expect(third).toMatchObject({ generated: 1, resumed: 6 });
  });

  it('skips a torn log line and redoes that item', async () => {
    const options = { records: RECORDS.slice(0, 2), out: dir, name: 'toy', maxNewTokens: 3, tokenizer: charTokenizer };
    await generateAnswers({ ...options, model: toyModel() });
    const path = join(dir, 'toy.generation.jsonl');
    const lines = (await readFile(path, 'utf8')).trim().split('\n');
    await writeFile(path, `${lines[0]}\n${(lines[1] ?? '').slice(0, 20)}`);
    const again = await generateAnswers({ ...options, model: toyModel() });
    expect(again).toMatchObject({ generated: 1, resumed: 1 });
  });

  it('refuses a name that is not a file name', async () => {
    await expect(generateAnswers({ model: toyModel(), records: RECORDS, out: dir, name: '../x' })).rejects.toThrow(/cannot be used in a file name/);
  });

  it('works with the GPT-2 tokenizer end to end', async () => {
    const model = new SessionGenerativeModel(new ToyDecoderSession({ vocabSize: 50257, contextLength: 1024 }));
    const result = await generateAnswers({ model, records: RECORDS.slice(0, 2), out: dir, name: 'gpt2', maxNewTokens: 3, template: 'study' });
    expect(result.answers).toHaveLength(2);
    for (const answer of result.answers) expect(answer.model_response).not.toContain('### Response:');
    expect(gpt2Tokenizer.encode(result.answers[1]?.model_response ?? '').length).toBeLessThanOrEqual(4);
  });
});

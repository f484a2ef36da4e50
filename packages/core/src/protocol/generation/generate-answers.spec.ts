import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GenerationOptions, GenerativeModel } from '../../contracts/model-backend.js';
import type { AlpacaRecord } from '../../contracts/records.js';
import type { Tokenizer } from '../../contracts/tokenizer.js';
import { formatAlpacaPrompt } from '../../data/prompt-template.js';
import { extractAnswerText } from './answer-text.js';
import { generateAnswers } from './generate-answers.js';

/** Printable ASCII as ids 0..95, so a toy model with 97 tokens (96 = end of text) writes readable text. */
const charTokenizer: Tokenizer = {
  id: 'printable-ascii',
  endOfText: 96,
  encode: (text: string) => Array.from(text, (c) => Math.min(95, Math.max(0, c.charCodeAt(0) - 32))),
  decode: (ids: readonly number[]) => ids.map((id) => (id === 96 ? '<|endoftext|>' : String.fromCharCode(id + 32))).join(''),
};

/** Continues each prompt from its own ids alone (so batching cannot change an answer) and ends after a few tokens. */
class ToyModel implements GenerativeModel {
  readonly contextLength = 128;
  readonly tokenizer = charTokenizer;
  async generate(prompts: number[][], options: GenerationOptions = {}): Promise<number[][]> {
    return prompts.map((prompt) => {
      const completion: number[] = [];
      let last = prompt[prompt.length - 1] ?? 0;
      const end = 2 + (prompt.length % 9);
      for (let step = 0; step < (options.maxNewTokens ?? 256); step++) {
        const next = step === end ? 96 : (last * 31 + step + 7) % 96;
        if (next === options.stopToken) break;
        completion.push(next);
        last = next;
      }
      return completion;
    });
  }
  async dispose(): Promise<void> {}
}

const RECORDS: AlpacaRecord[] = Array.from({ length: 7 }, (_, i) => ({
  instruction: `Task ${i}: ${'say something '.repeat(i % 3)}`.trim(),
  input: i % 2 === 0 ? '' : `input ${i}`,
  output: `answer ${i}`,
}));

class CountingModel implements GenerativeModel {
  calls: number[][][] = [];
  options: (GenerationOptions | undefined)[] = [];
  failOnCall: number | undefined;
  constructor(readonly inner: GenerativeModel) {}
  get contextLength() {
    return this.inner.contextLength;
  }
  get tokenizer() {
    return this.inner.tokenizer;
  }
  async generate(prompts: number[][], options?: GenerationOptions): Promise<number[][]> {
    this.calls.push(prompts);
    this.options.push(options);
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
  return new ToyModel();
}

describe('generateAnswers', () => {
  it('writes {name}-ift-test-results.json in test-split order with the study\'s answer text', async () => {
    const result = await generateAnswers({ model: toyModel(), records: RECORDS, out: dir, name: 'toy', batchSize: 3, maxNewTokens: 12 });
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
    const options = { records: RECORDS, out: dir, name: 'toy', batchSize: 3, maxNewTokens: 6 };
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
    // The model's tokenizer says where an answer stops.
    expect(second.options[0]).toMatchObject({ stopToken: 96, maxNewTokens: 6, batchSize: 3 });
    expect(resumed.answers).toEqual(uninterrupted.answers);
  });

  it('ignores logged answers made with other settings or for other records', async () => {
    const options = { records: RECORDS, out: dir, name: 'toy', batchSize: 4, maxNewTokens: 5 };
    await generateAnswers({ ...options, model: toyModel() });
    const again = await generateAnswers({ ...options, maxNewTokens: 6, model: toyModel() });
    expect(again.generated).toBe(7);
    const changed = RECORDS.map((r, i) => (i === 2 ? { ...r, output: 'different' } : r));
    const third = await generateAnswers({ ...options, maxNewTokens: 6, records: changed, model: toyModel() });
    expect(third).toMatchObject({ generated: 1, resumed: 6 });
  });

  it('skips a torn log line and redoes that item', async () => {
    const options = { records: RECORDS.slice(0, 2), out: dir, name: 'toy', maxNewTokens: 3 };
    await generateAnswers({ ...options, model: toyModel() });
    const path = join(dir, 'toy.generation.jsonl');
    const lines = (await readFile(path, 'utf8')).trim().split('\n');
    await writeFile(path, `${lines[0]}\n${(lines[1] ?? '').slice(0, 20)}`);
    const again = await generateAnswers({ ...options, model: toyModel() });
    expect(again).toMatchObject({ generated: 1, resumed: 1 });
  });

  it('refuses a name that is not a file name', async () => {
    await expect(generateAnswers({ model: toyModel(), records: RECORDS, out: dir, name: '../x' })).rejects.toThrow(/model: the name "..\/x" contains a path separator/);
  });
});

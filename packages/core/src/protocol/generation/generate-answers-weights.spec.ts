// A resumed generation reuses only answers made by the same weights (the `modelId` content fingerprint) and says
// why it drops the others.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GenerationOptions, GenerativeModel } from '../../contracts/model-backend.js';
import type { AlpacaRecord } from '../../contracts/records.js';
import type { Tokenizer } from '../../contracts/tokenizer.js';
import { generateAnswers } from './generate-answers.js';

const tokenizer: Tokenizer = {
  id: 'printable-ascii',
  endOfText: 96,
  encode: (text: string) => Array.from(text, (c) => Math.min(95, Math.max(0, c.charCodeAt(0) - 32))),
  decode: (ids: readonly number[]) => ids.map((id) => (id === 96 ? '<|endoftext|>' : String.fromCharCode(id + 32))).join(''),
};

/** "Weights" `offset`: every answer is the same three characters, shifted by the offset. */
class ShiftModel implements GenerativeModel {
  readonly contextLength = 256;
  readonly tokenizer = tokenizer;
  prompts = 0;
  constructor(readonly offset: number) {}
  async generate(prompts: number[][], _options?: GenerationOptions): Promise<number[][]> {
    this.prompts += prompts.length;
    return prompts.map(() => [33 + this.offset, 34 + this.offset, 35 + this.offset]);
  }
  async dispose(): Promise<void> {}
}

const RECORDS: AlpacaRecord[] = Array.from({ length: 3 }, (_, i) => ({ instruction: `Task ${i}`, input: '', output: `answer ${i}` }));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'judgekit-generate-weights-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('generateAnswers across weights', () => {
  it('resumes no answer made by other weights: it generates them again and says so, naming the model', async () => {
    const options = { records: RECORDS, out: dir, name: 'gpt2-small', maxNewTokens: 3 };
    const old = await generateAnswers({ ...options, model: new ShiftModel(0), modelId: 'sha256:aaaaaaaaaaaa0000' });
    const notices: string[] = [];
    const model = new ShiftModel(5);
    const again = await generateAnswers({ ...options, model, modelId: 'sha256:bbbbbbbbbbbb0000', notify: (message) => notices.push(message) });
    expect(again).toMatchObject({ generated: 3, resumed: 0 });
    expect(model.prompts).toBe(3);
    expect(again.answers.map((a) => a.model_response)).not.toEqual(old.answers.map((a) => a.model_response));
    expect(notices).toEqual([
      `3 answers of "gpt2-small" in ${join(dir, 'gpt2-small.generation.jsonl')} were made by other weights (sha256:aaaaaaaaaaaa, now sha256:bbbbbbbbbbbb): generating them again`,
    ]);
  });

  it('resumes every answer made by the same weights, without a notice', async () => {
    const options = { records: RECORDS, out: dir, name: 'gpt2-small', maxNewTokens: 3, modelId: 'sha256:aaaaaaaaaaaa0000' };
    await generateAnswers({ ...options, model: new ShiftModel(0) });
    const notices: string[] = [];
    const model = new ShiftModel(0);
    const again = await generateAnswers({ ...options, model, notify: (message) => notices.push(message) });
    expect(again).toMatchObject({ generated: 0, resumed: 3 });
    expect(model.prompts).toBe(0);
    expect(notices).toEqual([]);
  });

  it('says so when logged answers were made with other settings', async () => {
    const options = { records: RECORDS, out: dir, name: 'm', modelId: 'sha256:aaaaaaaaaaaa0000' };
    await generateAnswers({ ...options, maxNewTokens: 3, model: new ShiftModel(0) });
    const notices: string[] = [];
    await generateAnswers({ ...options, maxNewTokens: 2, model: new ShiftModel(0), notify: (message) => notices.push(message) });
    expect(notices).toEqual([`3 answers of "m" in ${join(dir, 'm.generation.jsonl')} were made with other generation settings: generating them again`]);
  });
});

// The ONNX engine's GenerativeModel under core's answer generation: a toy decoder session stands in for a model.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractAnswerText, formatAlpacaPrompt, generateAnswers, type AlpacaRecord, type Tokenizer } from '@judgekit/core';
import { gpt2TextTokenizer } from '../architectures/gpt2/gpt2-text-tokenizer.js';
import { SessionGenerativeModel } from './session-generative-model.js';
import { ToyDecoderSession } from './testing/toy-decoder-session.js';

/** Printable ASCII as ids 0..95, so a toy model with 97 tokens (96 = end of text) writes readable text. */
const charTokenizer: Tokenizer = {
  id: 'printable-ascii',
  endOfText: 96,
  encode: (text: string) => Array.from(text, (c) => Math.min(95, Math.max(0, c.charCodeAt(0) - 32))),
  decode: (ids: readonly number[]) => ids.map((id) => (id === 96 ? '<|endoftext|>' : String.fromCharCode(id + 32))).join(''),
};

const RECORDS: AlpacaRecord[] = Array.from({ length: 7 }, (_, i) => ({
  instruction: `Task ${i}: ${'say something '.repeat(i % 3)}`.trim(),
  input: i % 2 === 0 ? '' : `input ${i}`,
  output: `answer ${i}`,
}));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'judgekit-session-generate-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('SessionGenerativeModel', () => {
  it('gives batched answers equal to one-prompt generation, decoded and cut as the study does', async () => {
    const model = new SessionGenerativeModel(new ToyDecoderSession({ vocabSize: 97, contextLength: 128 }), { tokenizer: charTokenizer });
    const result = await generateAnswers({ model, records: RECORDS, out: dir, name: 'toy', batchSize: 3, maxNewTokens: 12 });
    const single = new SessionGenerativeModel(new ToyDecoderSession({ vocabSize: 97, contextLength: 128 }), { tokenizer: charTokenizer });
    for (const [index, record] of RECORDS.entries()) {
      const prompt = formatAlpacaPrompt(record, 'book');
      const ids = charTokenizer.encode(prompt);
      const [completion] = await single.generate([ids], { maxNewTokens: 12, stopToken: 96, batchSize: 1 });
      expect(result.answers[index]?.model_response).toBe(extractAnswerText(charTokenizer.decode([...ids, ...(completion ?? [])]), prompt));
    }
  });

  it('works with the GPT-2 tokenizer (its default) end to end', async () => {
    const model = new SessionGenerativeModel(new ToyDecoderSession({ vocabSize: 50257, contextLength: 1024 }));
    expect(model.tokenizer).toBe(gpt2TextTokenizer);
    const result = await generateAnswers({ model, records: RECORDS.slice(0, 2), out: dir, name: 'gpt2', maxNewTokens: 3, template: 'study' });
    expect(result.answers).toHaveLength(2);
    for (const answer of result.answers) expect(answer.model_response).not.toContain('### Response:');
    expect(gpt2TextTokenizer.encode(result.answers[1]?.model_response ?? '').length).toBeLessThanOrEqual(4);
  });
});

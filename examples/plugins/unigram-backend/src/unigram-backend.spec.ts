import { JudgekitError } from '@judgekit/core';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { END_OF_TEXT_ID, gpt2Tokenizer } from './gpt2-tokenizer.js';
import { countTokens, readUnigramCheckpoint, UnigramBackend, UnigramModel, type UnigramCheckpoint } from './unigram-backend.js';

const checkpoint: UnigramCheckpoint = { kind: 'unigram', vocabSize: 4, contextLength: 8, counts: { '0': 3, '2': 1 } };

describe('UnigramModel', () => {
  it.each([
    // total = 4 counted + smoothing x 4 tokens
    { smoothing: 1, target: 0, probability: 4 / 8 },
    { smoothing: 1, target: 1, probability: 1 / 8 },
    { smoothing: 0.5, target: 2, probability: 1.5 / 6 },
    { smoothing: 0.5, target: 3, probability: 0.5 / 6 },
  ])('token $target with smoothing $smoothing has probability $probability', async ({ smoothing, target, probability }) => {
    const model = new UnigramModel(checkpoint, smoothing);
    const { nll } = await model.tokenNll(new Int32Array([0]), new Int32Array([target]), 1, 1);
    expect(nll[0]).toBeCloseTo(-Math.log(probability), 6);
  });

  it('ignores -100 targets', async () => {
    const { nll } = await new UnigramModel(checkpoint).tokenNll(new Int32Array(2), new Int32Array([-100, 0]), 1, 2);
    expect(nll[0]).toBe(0);
    expect(nll[1]).toBeGreaterThan(0);
  });

  it('generates the most frequent tokens, without the stop token', async () => {
    const model = new UnigramModel(checkpoint);
    expect(await model.generate([[1], [2, 3]], { maxNewTokens: 5 })).toEqual([
      [0, 2],
      [0, 2],
    ]);
    expect(await model.generate([[1]], { maxNewTokens: 5, stopToken: 2 })).toEqual([[0]]);
    expect(await model.generate([[1]], { maxNewTokens: 1 })).toEqual([[0]]);
  });
});

describe('countTokens', () => {
  it('counts token ids into a checkpoint', () => {
    expect(countTokens([5, 5, 7], 16)).toEqual({ kind: 'unigram', vocabSize: 50257, contextLength: 16, counts: { '5': 2, '7': 1 } });
  });
});

describe('gpt2Tokenizer', () => {
  it('round-trips text and reads <|endoftext|> only when asked', () => {
    const ids = gpt2Tokenizer.encode('Hello world');
    expect(ids).toEqual([15496, 995]);
    expect(gpt2Tokenizer.decode(ids)).toBe('Hello world');
    expect(gpt2Tokenizer.encode('a<|endoftext|>b', { allowEndOfText: true })).toEqual([64, END_OF_TEXT_ID, 65]);
    expect(() => gpt2Tokenizer.encode('a<|endoftext|>b')).toThrow(/contains <\|endoftext\|> at character 1/);
  });
});

describe('unigram checkpoints', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'judgekit-unigram-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads a checkpoint through the backend, with the smoothing option', async () => {
    const path = join(dir, 'model.json');
    await writeFile(path, JSON.stringify(checkpoint));
    const backend = new UnigramBackend();
    const plain = await backend.loadLikelihoodModel({ path });
    const smoothed = await backend.loadLikelihoodModel({ path }, { options: { smoothing: 0.5 } });
    const target = new Int32Array([3]);
    expect((await plain.tokenNll(target, target, 1, 1)).nll[0]).toBeCloseTo(-Math.log(1 / 8), 6);
    expect((await smoothed.tokenNll(target, target, 1, 1)).nll[0]).toBeCloseTo(-Math.log(0.5 / 6), 6);
    expect((await backend.loadGenerativeModel({ path })).tokenizer.id).toBe('GPT-2');
  });

  it.each([
    { name: 'missing.json', content: undefined, message: /missing\.json: cannot read the unigram checkpoint/ },
    { name: 'other.json', content: '{"kind": "bigram"}', message: /other\.json is not a unigram checkpoint/ },
  ])('refuses $name with a model error', async ({ name, content, message }) => {
    const path = join(dir, name);
    if (content !== undefined) await writeFile(path, content);
    const error = await readUnigramCheckpoint(path).catch((caught: unknown) => caught);
    expect(JudgekitError.is(error, 'model')).toBe(true);
    expect((error as Error).message).toMatch(message);
  });
});

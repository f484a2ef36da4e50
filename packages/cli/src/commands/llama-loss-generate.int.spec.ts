// `judgekit loss` and `judgekit generate` end to end on a tiny seeded Llama checkpoint folder (config.json,
// model.safetensors, tokenizer.json), with the tokenizer read from the folder and ONNX Runtime on the CPU.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGpt2DecoderSession, generateTokens, tokenizerOf, llamaArchitecture } from '@judgekit/backends';
import { createTinyLlama, type TinyLlama } from '@judgekit/backends/testing';
import { getPromptTemplate, splitDataset } from '@judgekit/core';
import { runMain } from '../../test/support/run-main.js';

let dir: string;
let tiny: TinyLlama;
const records = Array.from({ length: 20 }, (_, i) => ({ instruction: `Name a colour (${i}).`, input: i % 2 ? `hint ${i}` : '', output: `blue ${i}` }));
const documents = ['The weather is fine today.', 'Numbers: 1, 2, 3 and the rest.', 'Colours are in the eye of the beholder.'];

const cli = (argv: string[]) => runMain(argv, { cwd: dir });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'judgekit-cli-llama-'));
  await mkdir(join(dir, 'tiny-llama'));
  tiny = await createTinyLlama({ dir: join(dir, 'tiny-llama'), seed: 31, contextLength: 64 });
  await writeFile(join(dir, 'held-out.txt'), documents.join('</s>'));
  await writeFile(join(dir, 'data.json'), JSON.stringify(records));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('judgekit loss and generate on a Llama checkpoint folder', () => {
  it("loss: tokenizes text with the folder's tokenizer.json (BOS before, EOS after each document) and prints the loss", async () => {
    const run = await cli(['loss', 'tiny-llama/model.safetensors', 'held-out.txt', '--device', 'cpu', '--batch-size', '2', '--context-length', '16', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { loss: number; tokens: number; protocol: { tokens: string; contextLength: number } };
    expect(result.protocol.tokens).toBe(`Llama (PreTrainedTokenizerFast) tokens of 3 text documents in ${join(dir, 'held-out.txt')} (split on </s>), each followed by 2`);
    const tokenizer = await tokenizerOf(llamaArchitecture, { path: tiny.checkpointPath, config: tiny.config });
    const ids = documents.flatMap((d) => [...tokenizer.encode(d), 2]);
    expect(ids.filter((id) => id === 1)).toHaveLength(3);
    // Windows over the stream of BOS + document + EOS ids: at most every token but the first is a scored target.
    expect(result.tokens).toBeGreaterThan(ids.length / 2);
    expect(result.tokens).toBeLessThanOrEqual(ids.length - 1);
    expect(Number.isFinite(result.loss) && result.loss > 1).toBe(true);
  });

  it("generate: writes the test split's answers, the same text as greedy decoding through the library with the folder's tokenizer", async () => {
    const run = await cli(['generate', 'tiny-llama/model.safetensors', '--dataset', 'data.json', '--out', 'answers', '--name', 'tiny-llama', '--max-new-tokens', '6', '--device', 'cpu', '--batch-size', '2', '-q']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/tiny-llama-ift-test-results\.json: 2 answers \(2 generated/);
    const written = JSON.parse(await readFile(join(dir, 'answers', 'tiny-llama-ift-test-results.json'), 'utf8')) as { instruction: string; model_response: string }[];
    const test = splitDataset(records).test;
    expect(written.map((r) => r.instruction)).toEqual(test.map((r) => r.instruction));
    // Independently: BOS + prompt ids, greedy tokens, decode, cut the prompt off (the study's extraction).
    const session = await createGpt2DecoderSession(tiny.checkpointPath, { device: 'cpu', threads: 1 });
    try {
      const template = getPromptTemplate('book');
      for (const [i, record] of test.entries()) {
        const prompt = template.formatPrompt(record);
        const promptIds = session.tokenizer.encode(prompt, { allowEndOfText: true });
        expect(promptIds[0]).toBe(1);
        const [completion] = await generateTokens(session, [promptIds], { maxNewTokens: 6 });
        const full = session.tokenizer.decode([...promptIds, ...completion!]);
        expect(full.startsWith(prompt)).toBe(true);
        expect(written[i]!.model_response).toBe(full.slice(prompt.length).split('### Response:').join('').trim());
      }
    } finally {
      await session.dispose();
    }
  });
});

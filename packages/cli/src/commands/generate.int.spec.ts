// `judgekit generate` end to end on a tiny seeded GPT-2 checkpoint with the real tokenizer and ONNX Runtime.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTinyGpt2 } from '@judgekit/backends/testing';
import { runMain } from '../../test/support/run-main.js';

let dir: string;
let modelPath: string;
const records = Array.from({ length: 20 }, (_, i) => ({ instruction: `Name a colour (${i}).`, input: i % 2 ? `hint ${i}` : '', output: `blue ${i}` }));

const cli = (argv: string[]) => runMain(argv, { cwd: dir });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'judgekit-cli-generate-'));
  const tiny = await createTinyGpt2({ dir, name: 'tiny', vocabSize: 50257, contextLength: 64, embDim: 8, nLayers: 1, nHeads: 2, naming: 'book' });
  modelPath = tiny.checkpointPath;
  await writeFile(join(dir, 'data.json'), JSON.stringify(records));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('judgekit generate', () => {
  it('writes {name}-ift-test-results.json for the test split, then resumes without regenerating', async () => {
    const first = await cli(['generate', modelPath, '--dataset', 'data.json', '--out', 'answers', '--max-new-tokens', '4', '--device', 'cpu', '--batch-size', '2', '-q']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/tiny-ift-test-results\.json: 2 answers \(2 generated/);
    const written = JSON.parse(await readFile(join(dir, 'answers', 'tiny-ift-test-results.json'), 'utf8')) as { instruction: string; model_response: string }[];
    // 20 records: train 17, test 2 (records 17 and 18), validation 1.
    expect(written.map((r) => r.instruction)).toEqual([records[17]?.instruction, records[18]?.instruction]);
    for (const answer of written) expect(typeof answer.model_response).toBe('string');

    const again = await cli(['generate', modelPath, '--dataset', 'data.json', '--out', 'answers', '--max-new-tokens', '4', '--device', 'cpu', '-q']);
    expect(again.stdout).toMatch(/0 generated .*2 resumed/);
  });

  it('takes --name, --split, --limit and sampling options', async () => {
    const result = await cli(['generate', modelPath, '--dataset', 'data.json', '--out', 'answers', '--name', 'sampled', '--split', 'train', '--limit', '3', '--max-new-tokens', '3', '--temperature', '0.8', '--top-k', '5', '--seed', '1', '--device', 'cpu', '-q']);
    expect(result.code).toBe(0);
    const written = JSON.parse(await readFile(join(dir, 'answers', 'sampled-ift-test-results.json'), 'utf8')) as unknown[];
    expect(written).toHaveLength(3);
  });

  it.each([
    [['generate', 'model.safetensors'], /--dataset is required/],
    [['generate', 'm', '--dataset', 'data.json', '--split', 'dev'], /--split must be one of/],
    [['generate', 'm', '--dataset', 'data.json', '--top-k', '3'], /give --temperature too/],
    [['generate', 'm', '--dataset', 'data.json', '--device', 'tpu'], /Unsupported device "tpu"/],
    [['generate', 'missing.safetensors', '--dataset', 'data.json'], /Cannot read model/],
  ])('explains bad usage: %j', async (argv, message) => {
    const result = await cli(argv);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(message);
  });
});

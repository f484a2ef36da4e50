// `judgekit convert` on a Llama checkpoint folder: it picks the family from config.json, writes the decoder graph
// into another folder with the checkpoint's tokenizer files beside it, and `judgekit generate` on that ONNX file gives
// the same answers as on the safetensors checkpoint.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTinyLlama } from '@judgekit/backends/testing';
import { runMain } from '../../test/support/run-main.js';

let dir: string;
const records = Array.from({ length: 20 }, (_, i) => ({ instruction: `Name a colour (${i}).`, input: i % 2 ? `hint ${i}` : '', output: `blue ${i}` }));
const cli = (argv: string[]) => runMain(argv, { cwd: dir });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'judgekit-convert-llama-'));
  await createTinyLlama({ dir: join(dir, 'tiny-llama'), seed: 5, contextLength: 64, nHeads: 4, nKvHeads: 2 });
  await writeFile(join(dir, 'data.json'), JSON.stringify(records));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('judgekit convert on a Llama checkpoint', () => {
  it('writes a Llama decoder graph with the tokenizer files beside it, and generate on it gives the checkpoint answers', async () => {
    const converted = await cli(['convert', 'tiny-llama/model.safetensors', '--out', 'onnx/model.onnx']);
    expect(converted.stderr).toBe('');
    expect(converted.code).toBe(0);
    expect(converted.stdout).toMatch(/^wrote \S+model\.onnx: decoder graph, llama Hugging Face checkpoint, 2 layers, 4 heads, 2 KV heads, width 32, .*; copied tokenizer\.json, tokenizer_config\.json beside it\n$/);
    expect((await readdir(join(dir, 'onnx'))).sort()).toEqual(['model.onnx', 'tokenizer.json', 'tokenizer_config.json']);
    expect(await readFile(join(dir, 'onnx', 'tokenizer.json'), 'utf8')).toBe(await readFile(join(dir, 'tiny-llama', 'tokenizer.json'), 'utf8'));

    const generate = async (model: string, out: string): Promise<string> => {
      const run = await cli(['generate', model, '--dataset', 'data.json', '--out', out, '--name', 'tiny', '--max-new-tokens', '6', '--device', 'cpu', '--batch-size', '2', '-q']);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      return readFile(join(dir, out, 'tiny-ift-test-results.json'), 'utf8');
    };
    const fromCheckpoint = await generate('tiny-llama/model.safetensors', 'answers-checkpoint');
    expect(JSON.parse(fromCheckpoint)).toHaveLength(2);
    expect(await generate('onnx/model.onnx', 'answers-onnx')).toBe(fromCheckpoint);
  });
});

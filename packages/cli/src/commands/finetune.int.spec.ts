// `judgekit finetune` end to end on a tiny seeded GPT-2 checkpoint with the real tokenizer and ONNX Runtime.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTinyGpt2 } from '@judgekit/backends/testing';
import { runMain } from '../../test/support/run-main.js';

let dir: string;
let modelPath: string;
const records = Array.from({ length: 24 }, (_, i) => ({ instruction: `Name a colour (${i}).`, input: i % 2 ? `hint ${i}` : '', output: `blue ${i}` }));

const cli = (argv: string[]) => runMain(argv, { cwd: dir });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'judgekit-cli-finetune-'));
  const tiny = await createTinyGpt2({ dir, name: 'tiny', vocabSize: 50257, contextLength: 64, embDim: 8, nLayers: 1, nHeads: 2, naming: 'book', qkvBias: false, tiedHead: false });
  modelPath = tiny.checkpointPath;
  await writeFile(join(dir, 'data.json'), JSON.stringify(records));
  await writeFile(join(dir, 'ft.json'), JSON.stringify({ finetune: { batchSize: 4, learningRate: 0.001 } }));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('judgekit finetune', () => {
  it('fine-tunes for fixed epochs and writes the run folder', async () => {
    const run = await cli(['finetune', modelPath, '--dataset', 'data.json', '--out', 'run', '--config', 'ft.json', '--epochs', '2', '--device', 'cpu', '--threads', '1', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { name: string; bestEpoch: number; epochs: Array<{ epoch: number; steps: number }> };
    expect(result.name).toBe('tiny');
    expect(result.bestEpoch).toBe(2);
    // 24 records: 20 train (85%), batch 4 from ft.json: 5 steps per epoch.
    expect(result.epochs.map((e) => e.steps)).toEqual([5, 10]);
    for (const file of ['model.safetensors', 'config.json', 'epochs.jsonl', 'result.json']) {
      expect((await stat(join(dir, 'run', 'finetune', 'tiny', file))).size).toBeGreaterThan(0);
    }
    // The resume state is only kept while the run is unfinished.
    await expect(stat(join(dir, 'run', 'finetune', 'tiny', 'resume.safetensors'))).rejects.toThrow(/ENOENT/);
    const config = JSON.parse(await readFile(join(dir, 'run', 'finetune', 'tiny', 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config.emb_dim).toBe(8);
  });

  it('refuses --epochs with --max-epochs and an unknown device', async () => {
    const both = await cli(['finetune', modelPath, '--dataset', 'data.json', '--out', 'x', '--epochs', '1', '--max-epochs', '3']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/either --epochs/);
    const device = await cli(['finetune', modelPath, '--dataset', 'data.json', '--out', 'x', '--device', 'tpu']);
    expect(device.code).toBe(2);
    expect(device.stderr).toMatch(/Unsupported device "tpu"/);
  });
});

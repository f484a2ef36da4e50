// `judgekit loss` and `judgekit convert` end to end on a tiny seeded GPT-2 checkpoint with the real tokenizer.
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTinyGpt2 } from '@judgekit/backends/testing';
import { runMain } from '../../test/support/run-main.js';

let dir: string;

const cli = (argv: string[]) => runMain(argv, { cwd: dir });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'judgekit-cli-loss-'));
  await createTinyGpt2({ dir, name: 'tiny', vocabSize: 50257, contextLength: 16, embDim: 8, nLayers: 1, nHeads: 2, naming: 'book' });
  const text = Array.from({ length: 6 }, (_, i) => `Document ${i} talks about colours, numbers and the weather.`).join('<|endoftext|>');
  await writeFile(join(dir, 'held-out.txt'), text);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('judgekit loss', () => {
  it('prints one JSON object with loss, tokens and protocol', async () => {
    const run = await cli(['loss', 'tiny.safetensors', 'held-out.txt', '--device', 'cpu', '--batch-size', '2', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { loss: number; tokens: number; protocol: Record<string, unknown>; tokenMean: number };
    expect(result.loss).toBeGreaterThan(5);
    expect(result.loss).toBeLessThan(20);
    expect(result.tokens).toBeGreaterThan(40);
    expect(result.protocol).toMatchObject({ kind: 'non-overlapping', contextLength: 16, stride: 16, batchSize: 2, startToken: 0, aggregate: 'mean-of-batch-means' });
  });

  it('reports the strided protocol and honours --start-token and --batches', async () => {
    const run = await cli(['loss', 'tiny.safetensors', 'held-out.txt', '--device', 'cpu', '--stride', '8', '--start-token', '3', '--batches', '1', '--batch-size', '2', '--json']);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { tokens: number; protocol: Record<string, unknown> };
    expect(result.protocol).toMatchObject({ kind: 'strided', stride: 8, startToken: 3, batchesRequested: 1, aggregate: 'token-mean' });
    expect(result.tokens).toBe(16 + 8);
  });

  it('gives the same loss from the checkpoint and from converted ONNX loss and decoder graphs', async () => {
    const base = JSON.parse((await cli(['loss', 'tiny.safetensors', 'held-out.txt', '--device', 'cpu', '--json'])).stdout) as { loss: number };
    for (const kind of ['loss', 'decoder']) {
      const converted = await cli(['convert', 'tiny.safetensors', '--out', `tiny-${kind}.onnx`, '--kind', kind]);
      expect(converted.code).toBe(0);
      expect(converted.stdout).toMatch(new RegExp(`wrote .*tiny-${kind}.onnx: ${kind} graph, gpt2 book checkpoint, 1 layers, 2 heads`));
      expect((await stat(join(dir, `tiny-${kind}.onnx`))).size).toBeGreaterThan(50257 * 8 * 4);
      const run = JSON.parse((await cli(['loss', `tiny-${kind}.onnx`, 'held-out.txt', '--device', 'cpu', '--json'])).stdout) as { loss: number };
      expect(Math.abs(run.loss - base.loss)).toBeLessThan(1e-4);
    }
  });

  it("without flags measures the study's protocol, 6 x 1024 windows, and prints the loss with its protocol, token mean and token count", async () => {
    await createTinyGpt2({ dir, name: 'tiny1024', vocabSize: 50257, contextLength: 1024, embDim: 8, nLayers: 1, nHeads: 2, naming: 'book' });
    // About 2,900 tokens: two full windows and a partial third, in one batch of (at most) 6.
    await writeFile(join(dir, 'long.txt'), Array.from({ length: 400 }, (_, i) => `Line ${i} is about colours.`).join('\n'));
    const json = JSON.parse((await cli(['loss', 'tiny1024.safetensors', 'long.txt', '--device', 'cpu', '--json'])).stdout) as { loss: number; tokenMean: number; tokens: number; batches: number; protocol: Record<string, unknown> };
    expect(json.protocol).toMatchObject({ kind: 'non-overlapping', contextLength: 1024, stride: 1024, batchSize: 6, startToken: 0, lastWindow: 'partial windows included' });
    const run = await cli(['loss', 'tiny1024.safetensors', 'long.txt', '--device', 'cpu']);
    expect(run.code).toBe(0);
    const first = run.stdout.split('\n')[0] ?? '';
    const match = /^loss (\d+\.\d{3}) \(mean of (\d+) batch means?, 6 x 1024 windows, last window partial; token mean (\d+\.\d{3}), ([\d,]+) tokens\)$/.exec(first);
    expect(match, first).not.toBeNull();
    expect(Number(match![1])).toBe(Number(json.loss.toFixed(3)));
    expect(Number(match![2])).toBe(json.batches);
    expect(Number(match![3])).toBe(Number(json.tokenMean.toFixed(3)));
    expect(Number(match![4]!.replace(/,/g, ''))).toBe(json.tokens);
    expect(json.tokens).toBeGreaterThan(2048);
  });

  it('prints a readable summary, and usage errors exit 2', async () => {
    const run = await cli(['loss', 'tiny.safetensors', 'held-out.txt', '--device', 'cpu']);
    expect(run.stdout).toMatch(/^loss \d+\.\d{3} \(mean of 1 batch mean, 6 x 16 windows, last window partial; token mean \d+\.\d{3}, \d+ tokens\)\n/);
    expect(run.stdout).toMatch(/protocol: non-overlapping windows of 16 tokens, stride 16, 6 per batch, start token 0, partial windows included/);
    expect((await cli(['loss', 'tiny.safetensors'])).code).toBe(2);
    const bad = await cli(['loss', 'tiny.safetensors', 'held-out.txt', '--device', 'tpu']);
    expect(bad.stderr).toMatch(/Unsupported device "tpu". Should be one of: auto, cpu, cuda, webgpu/);
    expect((await cli(['convert', 'tiny.safetensors', '--out', 'x.onnx', '--kind', 'encoder'])).stderr).toMatch(/--kind must be one of decoder, decoder-last, loss/);
  });
});

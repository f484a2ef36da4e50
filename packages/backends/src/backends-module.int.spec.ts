// The DI module in a fresh container: ModelBackend is ONNX Runtime, and test loss is a Metric that uses it.
import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Container } from 'inversify';
import { describe, expect, it } from 'vitest';
import { Metric, ModelBackend } from '@judgekit/core';
import backendsModule from './backends-module.js';
import { createTinyGpt2 } from './architectures/gpt2/create-tiny-gpt2.js';

describe('backends module', () => {
  it('binds OnnxBackend and TestLossMetric, which computes loss with its protocol', async () => {
    const container = new Container();
    await container.load(backendsModule);
    const backend = container.get<ModelBackend>(ModelBackend);
    expect(backend.id).toBe('onnxruntime');
    const metric = container.get<Metric>(Metric);
    expect(metric.id).toBe('test-loss');

    const tiny = await createTinyGpt2({ seed: 61, vocabSize: 50257, contextLength: 16, embDim: 8, nLayers: 1, nHeads: 2, naming: 'book' });
    await writeFile(join(tiny.dir, 'held-out.txt'), 'One small document.<|endoftext|>And another one, a little longer than the first.');
    const result = await metric.evaluate({ path: tiny.checkpointPath, name: 'tiny' }, { data: join(tiny.dir, 'held-out.txt'), batchSize: 2, device: 'cpu' });
    expect(result.metric).toBe('test-loss');
    expect(result.value).toBeGreaterThan(5);
    expect(result.protocol).toMatchObject({ kind: 'non-overlapping', contextLength: 16, batchSize: 2, aggregate: 'mean-of-batch-means' });
    expect(result.details).toMatchObject({ model: 'tiny' });
    expect((result.details as { tokens: number }).tokens).toBeGreaterThan(10);

    const likelihood = await backend.loadLikelihoodModel({ path: tiny.checkpointPath }, { device: 'cpu' });
    expect(likelihood.contextLength).toBe(16);
    await likelihood.dispose();
    const generative = await backend.loadGenerativeModel({ path: tiny.checkpointPath }, { device: 'cpu' });
    expect(generative.contextLength).toBe(16);
    await generative.dispose();
    await expect(metric.evaluate({ path: tiny.checkpointPath }, {})).rejects.toThrow(/test-loss needs the token data/);
  });
});

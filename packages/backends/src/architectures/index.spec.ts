import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JudgekitError, SafetensorsFile } from '@judgekit/core';
import { createTinyGpt2 } from './gpt2/create-tiny-gpt2.js';
import { gpt2Architecture } from './gpt2/gpt2-architecture.js';
import { llamaArchitecture } from './llama/llama-architecture.js';
import { architectureFor, architectureOfCheckpoint, loadModelCheckpoint, modelTypeOf, supportedModelTypes } from './index.js';

describe('architecture registry', () => {
  it('finds GPT-2 and Llama by their model_type', () => {
    expect(supportedModelTypes()).toEqual(['gpt2', 'llama']);
    expect(architectureFor('gpt2')).toBe(gpt2Architecture);
    expect(architectureFor('llama')).toBe(llamaArchitecture);
  });

  it('refuses an unknown model_type, listing the supported ones', () => {
    expect(() => architectureFor('mamba')).toThrow('Unsupported model_type "mamba". Should be one of: gpt2, llama.');
    try {
      architectureFor('mamba', 'config.json');
    } catch (error) {
      expect(JudgekitError.is(error) && error.kind).toBe('model');
      expect((error as JudgekitError).file).toBe('config.json');
    }
  });

  it.each([
    [{ model_type: 'gpt2', n_embd: 8 }, 'gpt2'],
    [{ model_type: 'llama' }, 'llama'],
    // The book's GPTModel JSON states no model_type: it is GPT-2.
    [{ emb_dim: 8, n_layers: 1, n_heads: 2, context_length: 16, vocab_size: 96 }, 'gpt2'],
    [null, 'gpt2'],
  ])('reads the model_type of %j', (json, expected) => {
    expect(modelTypeOf(json)).toBe(expected);
  });

  it('refuses a model_type that is not a string', () => {
    expect(() => modelTypeOf({ model_type: 7 }, 'c.json')).toThrow(/c.json: "model_type" must be a string/);
  });

  it("picks a checkpoint's architecture from the config beside it", async () => {
    const book = await createTinyGpt2({ naming: 'book', seed: 2 });
    expect(await architectureOfCheckpoint(book.checkpointPath)).toBe(gpt2Architecture);
    const loaded = await loadModelCheckpoint(book.checkpointPath);
    expect(loaded.modelType).toBe('gpt2');
    expect(loaded.config).toEqual(book.config);
    const hf = await createTinyGpt2({ naming: 'hf', seed: 3 });
    const dir = await mkdtemp(join(tmpdir(), 'judgekit-arch-'));
    const mamba = join(dir, 'config.json');
    await writeFile(mamba, JSON.stringify({ model_type: 'mamba', hidden_size: 8 }));
    await expect(architectureOfCheckpoint(hf.checkpointPath, mamba)).rejects.toThrow('Unsupported model_type "mamba". Should be one of: gpt2, llama.');
  });

  it('gives GPT-2 special tokens and tokenizer from one place', () => {
    const tokenizer = gpt2Architecture.createTokenizer();
    expect(gpt2Architecture.specialTokens.endOfText).toBe(tokenizer.endOfText);
    expect(gpt2Architecture.specialTokens.pad).toBe(tokenizer.endOfText);
    expect(tokenizer.decode([gpt2Architecture.specialTokens.endOfText])).toBe('<|endoftext|>');
  });

  it('maps GPT-2 parameters back to the very tensors of both checkpoint namings', async () => {
    for (const naming of ['hf', 'book'] as const) {
      const tiny = await createTinyGpt2({ naming, seed: 5, qkvBias: naming === 'hf', tiedHead: naming === 'hf' });
      const file = await SafetensorsFile.read(tiny.checkpointPath);
      const { config, parameters } = gpt2Architecture.training.checkpointParameters(tiny.model, file.names());
      expect(gpt2Architecture.training.parameterSpecs(config).map((spec) => spec.name)).toEqual([...parameters.keys()]);
      const tensors = gpt2Architecture.training.checkpointTensors(config, parameters, { naming, prefix: tiny.model.source.prefix, sourceNames: file.names() });
      expect(tensors.size).toBeGreaterThan(0);
      for (const [name, tensor] of tensors) expect([...tensor.data]).toEqual([...file.float32(name).data]);
    }
  });
});

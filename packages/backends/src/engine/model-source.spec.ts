import { access } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createTinyGpt2 } from '../architectures/gpt2/create-tiny-gpt2.js';
import { loadOrt } from './ort-runtime.js';
import { isOnnxPath, openableModel } from './model-source.js';

describe('openableModel', () => {
  it('keeps small graphs in memory and sends big ones through a temp file with external data', async () => {
    const tiny = await createTinyGpt2({ seed: 51 });
    const small = await openableModel(tiny.model, 'loss');
    expect(small.model).toBeInstanceOf(Uint8Array);
    expect(small.config).toEqual(tiny.config);
    const big = await openableModel(tiny.model, 'loss', { inMemoryLimitBytes: 0 });
    expect(typeof big.model).toBe('string');
    const path = big.model as string;
    await access(`${path}_data`);
    const ort = await loadOrt();
    const session = await ort.InferenceSession.create(path);
    expect(session.outputNames).toEqual(['nll']);
    await big.cleanup();
    await expect(access(path)).rejects.toThrow();
    await session.release();
  });

  it.each([
    ['model.onnx', true],
    ['MODEL.ONNX', true],
    ['model.safetensors', false],
  ])('%s is ONNX: %s', (path, expected) => {
    expect(isOnnxPath(path)).toBe(expected);
  });
});

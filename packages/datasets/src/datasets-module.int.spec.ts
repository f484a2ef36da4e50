// The real module in a fresh container: InstructionDataset resolves to the Alpaca loader and loads a file.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assembleContainer, InstructionDataset } from '@judgekit/core';
import { describe, expect, it } from 'vitest';
import datasetsModule from './datasets-module.js';
import { AlpacaDatasetLoader } from './alpaca-dataset-loader.js';
import { tinyTasks } from './tiny-tasks.js';

describe('datasets module', () => {
  it('binds InstructionDataset to the Alpaca loader', async () => {
    const { container } = await assembleContainer({ modules: [datasetsModule] });
    const dataset = container.get<InstructionDataset>(InstructionDataset);
    expect(dataset).toBeInstanceOf(AlpacaDatasetLoader);
    expect(container.get<InstructionDataset>(InstructionDataset)).toBe(dataset);

    const dir = await mkdtemp(join(tmpdir(), 'judgekit-datasets-module-'));
    try {
      const path = join(dir, 'tiny.jsonl');
      const records = tinyTasks({ count: 20 });
      await writeFile(path, records.map((r) => JSON.stringify(r)).join('\n'));
      const loaded = await dataset.load({ location: path });
      expect(loaded.records).toEqual(records);
      expect(loaded.sha256).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('loads as a plugin by package name', async () => {
    const { container, loaded } = await assembleContainer({ plugins: ['@judgekit/datasets'] });
    expect(loaded).toEqual(['@judgekit/datasets']);
    expect(container.get<InstructionDataset>(InstructionDataset)).toBeInstanceOf(AlpacaDatasetLoader);
  });
});

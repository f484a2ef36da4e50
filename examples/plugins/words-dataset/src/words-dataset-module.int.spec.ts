// The plugin as judgekit loads it from a config: by path, into a fresh container, its options validated against
// its schema with defaults filled in.
import 'reflect-metadata';
import { assembleContainer, contributionRegistry } from '@judgekit/core';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const plugin = fileURLToPath(new URL('./index.ts', import.meta.url));

describe('judgekit-plugin-words in a container', () => {
  it('registers the words dataset, checks its options and loads records', async () => {
    const { container } = await assembleContainer({ plugins: [plugin] });
    const registry = contributionRegistry(container);
    expect(registry.ids('dataset')).toEqual(['words']);
    const { value: dataset, options } = registry.resolve('dataset', 'words', { words: ['ping', 'pong'] }, { file: 'study.json', path: 'dataset' });
    expect(options).toEqual({ words: ['ping', 'pong'], instruction: 'Repeat the word in the input.' });
    const loaded = await dataset.load({ location: 'words:3', options });
    expect(loaded.records.map((record) => record.output)).toEqual(['ping 0', 'pong 1', 'ping 2']);
  });

  it('names the config path of a bad option', async () => {
    const { container } = await assembleContainer({ plugins: [plugin] });
    expect(() => contributionRegistry(container).resolve('dataset', 'words', { words: [] }, { file: 'study.json', path: 'dataset' })).toThrow(
      /study\.json: dataset\.options\.words: must NOT have fewer than 1 items/,
    );
  });
});

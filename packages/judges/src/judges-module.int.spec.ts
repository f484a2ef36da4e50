// The DI module in a fresh container: both providers and all four judge modes are contributed.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assembleContainer, ChatModelProviderFactory, getContributions } from '@judgekit/core';
import judgesModule from './judges-module.js';
import { JudgeFactory } from './judge-factory.js';

describe('judges module', () => {
  it('contributes the openai and anthropic providers and the single, batched, reference and pairwise judges', async () => {
    const { container } = await assembleContainer({ modules: [judgesModule] });
    expect(getContributions<ChatModelProviderFactory>(container, ChatModelProviderFactory).map((f) => f.id).sort()).toEqual(['anthropic', 'openai']);
    const judges = getContributions<JudgeFactory>(container, JudgeFactory);
    expect(judges.map((f) => [f.mode, f.needsProvider])).toEqual([
      ['single', true],
      ['batched', true],
      ['reference', false],
      ['pairwise', true],
    ]);
    const reference = judges.find((f) => f.mode === 'reference')!.create({});
    const result = await reference.scoreItem({ index: 0, repeat: 0, record: { instruction: 'i', input: '', output: 'a b' }, prompt: 'p', answers: [{ model: 'm', response: 'a b' }] });
    expect(result.scores).toEqual([{ model: 'm', score: 100 }]);
  });

  it('loads as a plugin by package name', async () => {
    const { loaded } = await assembleContainer({ plugins: ['@judgekit/judges'] });
    expect(loaded).toEqual(['@judgekit/judges']);
  });
});

describe('vendor SDKs load lazily', () => {
  const root = dirname(fileURLToPath(import.meta.url));
  const sources = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? (entry.name === 'testing' ? [] : sources(join(dir, entry.name))) : entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [join(dir, entry.name)] : [],
    );

  it('no module imports openai or @anthropic-ai/sdk at the top level (type-only and dynamic imports are fine)', () => {
    const files = sources(root);
    expect(files.length).toBeGreaterThan(5);
    const offenders = files.filter((file) => /^\s*import\s+(?!type\b)[^;]*from\s+['"](openai|@anthropic-ai\/sdk)(\/[^'"]*)?['"]/m.test(readFileSync(file, 'utf8')));
    expect(offenders.map((file) => relative(root, file))).toEqual([]);
    // And the providers do load them on demand.
    expect(readFileSync(join(root, 'providers', 'openai-provider.ts'), 'utf8')).toContain("import('openai')");
    expect(readFileSync(join(root, 'providers', 'anthropic-provider.ts'), 'utf8')).toContain("import('@anthropic-ai/sdk')");
  });
});

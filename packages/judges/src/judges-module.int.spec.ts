// The DI module in a fresh container: both providers and all three judge modes are contributed.
import { describe, expect, it } from 'vitest';
import { assembleContainer, ChatModelProviderFactory, getContributions } from '@judgekit/core';
import judgesModule from './judges-module.js';
import { JudgeFactory } from './judge-factory.js';

describe('judges module', () => {
  it('contributes the openai and anthropic providers and the single, batched and reference judges', async () => {
    const { container } = await assembleContainer({ modules: [judgesModule] });
    expect(getContributions<ChatModelProviderFactory>(container, ChatModelProviderFactory).map((f) => f.id).sort()).toEqual(['anthropic', 'openai']);
    const judges = getContributions<JudgeFactory>(container, JudgeFactory);
    expect(judges.map((f) => [f.mode, f.needsProvider])).toEqual([
      ['single', true],
      ['batched', true],
      ['reference', false],
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

import { describe, expect, it } from 'vitest';
import { MemoryCache, type ChatModelProvider, type ChatRequest, type ChatResponse } from '@judgekit/core';
import { categoryPrompt, LlmCategoryTagger, parseCategoryReply } from './llm-category-tagger.js';

const CATEGORIES = ['factual recall', 'rewriting/formatting', 'reasoning/math', 'other'];

describe('LlmCategoryTagger', () => {
  it.each([
    ['Reasoning/Math', 'reasoning/math'],
    ['  factual recall.', 'factual recall'],
    ['It is "other", not factual recall', 'other'],
    ['no idea', undefined],
  ])('parseCategoryReply(%j)', (reply, expected) => {
    expect(parseCategoryReply(reply, CATEGORIES)).toBe(expected);
  });

  it('asks once per item and falls back to the rules on failures and unusable replies', async () => {
    const seen: ChatRequest[] = [];
    const replies: ChatResponse[] = [
      { output: 'other', tokenUsage: { prompt: 1, completion: 1 }, latencyMs: 1 },
      { error: { kind: 'server', message: 'boom' }, tokenUsage: { prompt: 0, completion: 0 }, latencyMs: 1 },
      { output: 'banana', tokenUsage: { prompt: 1, completion: 1 }, latencyMs: 1 },
    ];
    const provider: ChatModelProvider = {
      id: 'fake',
      cacheIdentity: {},
      complete: async (request) => {
        seen.push(request);
        return replies[seen.length - 1] as ChatResponse;
      },
    };
    const cache = new MemoryCache();
    const tagger = new LlmCategoryTagger({ provider, model: 'tagger', concurrency: 1, cache });
    const tags = await tagger.tag([
      { index: 0, instruction: 'What is the capital of Peru?', input: '' },
      { index: 1, instruction: 'Calculate 3 + 4.', input: '' },
      { index: 2, instruction: 'Translate "cat" to French.', input: '' },
    ]);
    expect(tags).toEqual(['other', 'reasoning/math', 'rewriting/formatting']);
    expect(seen).toHaveLength(3);
    expect(seen[0]?.messages[0]?.content).toBe(categoryPrompt({ index: 0, instruction: 'What is the capital of Peru?', input: '' }, CATEGORIES));
    // A rerun answers the usable reply from the cache and asks again only where the reply was unusable.
    replies.push({ output: 'rewriting/formatting', tokenUsage: { prompt: 1, completion: 1 }, latencyMs: 1 }, { output: 'other', tokenUsage: { prompt: 1, completion: 1 }, latencyMs: 1 });
    expect(await tagger.tag([{ index: 0, instruction: 'What is the capital of Peru?', input: '' }, { index: 2, instruction: 'Translate "cat" to French.', input: '' }])).toEqual(['other', 'rewriting/formatting']);
    expect(seen).toHaveLength(4);
  });
});

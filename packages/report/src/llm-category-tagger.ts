// A CategoryTagger that asks a chat model for each item's category, falling back to the rules when the reply
// names no known category or the call fails (failures come back as data from the provider).
import { canonicalHash, DEFAULT_CATEGORIES, mapConcurrent, ruleBasedCategory, type CategoryTagger, type ChatModelProvider, type KeyValueCache, type TaggableItem } from '@judgekit/core';

export interface LlmCategoryTaggerOptions {
  provider: ChatModelProvider;
  model: string;
  categories?: readonly string[];
  concurrency?: number;
  /** Remembers replies so a report rerun makes no calls; keyed by endpoint, model and prompt. */
  cache?: KeyValueCache;
}

export function categoryPrompt(item: TaggableItem, categories: readonly string[]): string {
  return [
    'Classify this instruction-following task into exactly one category.',
    `Categories: ${categories.map((c) => `"${c}"`).join(', ')}.`,
    '"factual recall" needs a remembered fact; "rewriting/formatting" transforms or classifies given text; "reasoning/math" needs calculation or multi-step reasoning; "other" is anything else (open-ended writing, advice).',
    '',
    `Instruction: ${item.instruction}`,
    ...(item.input ? [`Input: ${item.input}`] : []),
    '',
    'Reply with the category name only.',
  ].join('\n');
}

/** The category a reply names (the earliest mention wins), or undefined. */
export function parseCategoryReply(reply: string, categories: readonly string[]): string | undefined {
  const text = reply.toLowerCase();
  let best: { category: string; at: number } | undefined;
  for (const category of categories) {
    const at = text.indexOf(category.toLowerCase());
    if (at >= 0 && (best === undefined || at < best.at)) best = { category, at };
  }
  return best?.category;
}

export class LlmCategoryTagger implements CategoryTagger {
  readonly id = 'llm';
  readonly categories: readonly string[];
  readonly #options: LlmCategoryTaggerOptions;

  constructor(options: LlmCategoryTaggerOptions) {
    this.#options = options;
    this.categories = options.categories ?? DEFAULT_CATEGORIES;
  }

  async tag(items: readonly TaggableItem[], signal?: AbortSignal): Promise<string[]> {
    const { provider, model, cache } = this.#options;
    return mapConcurrent(items, this.#options.concurrency ?? 4, async (item) => {
      const content = categoryPrompt(item, this.categories);
      const key = `category-tagger/${canonicalHash({ provider: provider.id, endpoint: provider.cacheIdentity, model, content })}`;
      let output = cache ? await cache.get<string>(key) : undefined;
      if (output === undefined) {
        const response = await provider.complete({ model, messages: [{ role: 'user', content }], temperature: 0, maxTokens: 10, ...(signal ? { signal } : {}) });
        output = response.output;
        // Only usable replies are remembered, so a failed call is retried next time.
        if (cache && output !== undefined && parseCategoryReply(output, this.categories)) await cache.set(key, output);
      }
      return (output !== undefined ? parseCategoryReply(output, this.categories) : undefined) ?? ruleBasedCategory(item.instruction, item.input);
    });
  }
}

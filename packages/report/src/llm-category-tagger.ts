// A CategoryTagger that asks a chat model for each item's category, falling back to the rules when the reply
// names no known category or the call fails (failures come back as data from the provider).
import { DEFAULT_CATEGORIES, mapConcurrent, ruleBasedCategory, type CategoryTagger, type ChatModelProvider, type TaggableItem } from '@judgekit/core';

export interface LlmCategoryTaggerOptions {
  provider: ChatModelProvider;
  model: string;
  categories?: readonly string[];
  concurrency?: number;
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
    return mapConcurrent(items, this.#options.concurrency ?? 4, async (item) => {
      const response = await this.#options.provider.complete({
        model: this.#options.model,
        messages: [{ role: 'user', content: categoryPrompt(item, this.categories) }],
        temperature: 0,
        maxTokens: 10,
        ...(signal ? { signal } : {}),
      });
      return (response.output !== undefined ? parseCategoryReply(response.output, this.categories) : undefined) ?? ruleBasedCategory(item.instruction, item.input);
    });
  }
}

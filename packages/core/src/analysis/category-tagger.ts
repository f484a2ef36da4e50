// Sorts test items into kinds of task, so scores can be broken down into "knows facts" versus "can follow a
// transformation" versus "can reason": the per-category half of the "smart vs knowledgeable" question.
import type { BootstrapOptions } from './bootstrap.js';
import { itemModelMeans, type JudgeScores } from './judge-scores.js';
import { meanWithCI } from './model-scores.js';

export const DEFAULT_CATEGORIES = ['factual recall', 'rewriting/formatting', 'reasoning/math', 'other'] as const;
export type DefaultCategory = (typeof DEFAULT_CATEGORIES)[number];

export interface TaggableItem {
  index: number;
  instruction: string;
  input: string;
}

/** Contribution point: assigns one category name per item (same order). An LLM tagger implements it too. */
export const CategoryTagger = Symbol.for('@judgekit/core/CategoryTagger');
export interface CategoryTagger {
  readonly id: string;
  /** The category names it can return, in display order. */
  readonly categories: readonly string[];
  tag(items: readonly TaggableItem[], signal?: AbortSignal): Promise<string[]>;
}

const MATH = [
  /\b(calculate|compute|solve|evaluate|simplify|how many|how much|multiply|divide|subtract|sum of|product of|average of|square root|equation|percent(age)?|factorial|probability)\b/i,
  /\d+(\.\d+)?\s*(?:[-+*/×÷^%]|plus|minus|times|divided by)\s*\d/i,
  /\bconvert\b.*\d|\d.*\bconvert\b/is,
];
const REWRITING =
  /\b(rewrite|re-write|convert|translate|paraphrase|rephrase|correct|fix|edit|classify|categori[sz]e|sort|arrange|reorder|format|transform|change|turn|make .* (passive|active|plural|singular)|summari[sz]e|shorten|simplify the sentence|punctuate|capitali[sz]e|spell|alphabeti[sz]e|replace|combine|split|identify the (type|part of speech)|what type of|passive voice|active voice|synonym|antonym|opposite|plural|past tense|future tense)\b/i;
const FACTUAL = /\b(who|what|when|where|which|name|capital|define|definition|meaning of|stands for|list|identify|describe|explain|tell me|recall|chemical (formula|symbol)|boiling point|freezing point|author of|wrote|invented|discovered|largest|smallest|tallest|longest)\b/i;

/** The rule-based default: first match wins in the order reasoning/math, rewriting/formatting, factual recall. */
export function ruleBasedCategory(instruction: string, input = ''): DefaultCategory {
  const text = `${instruction}\n${input}`;
  if (MATH.some((re) => re.test(instruction)) || (MATH[1] as RegExp).test(text)) return 'reasoning/math';
  if (REWRITING.test(instruction)) return 'rewriting/formatting';
  if (FACTUAL.test(instruction)) return 'factual recall';
  return 'other';
}

export function ruleBasedCategoryTagger(): CategoryTagger {
  return {
    id: 'rules',
    categories: DEFAULT_CATEGORIES,
    tag: async (items) => items.map((item) => ruleBasedCategory(item.instruction, item.input)),
  };
}

export interface CategoryBreakdown {
  judge: string;
  categories: Array<{
    category: string;
    items: number;
    models: Array<{ model: string; mean: number; ci95: [number, number]; items: number }>;
  }>;
}

/** Per-category model means (items' means over repeats) with bootstrap CIs over the category's items. */
export function categoryBreakdown(judge: JudgeScores, categories: readonly string[], order: readonly string[] = DEFAULT_CATEGORIES, options: BootstrapOptions = {}): CategoryBreakdown {
  const cells = itemModelMeans(judge);
  const names = [...order, ...[...new Set(categories)].filter((c) => !order.includes(c))];
  return {
    judge: judge.judge,
    categories: names
      .map((category) => {
        const rows = cells.filter((_, i) => categories[i] === category);
        return {
          category,
          items: rows.length,
          models: judge.models.map((model, m) => {
            const { mean, ci95, n } = meanWithCI(
              rows.map((row) => row[m] as number),
              { ...options, resamples: options.resamples ?? 1000, seed: `${String(options.seed ?? 'category')}/${category}/${model}` },
            );
            return { model, mean, ci95, items: n };
          }),
        };
      })
      .filter((c) => c.items > 0),
  };
}

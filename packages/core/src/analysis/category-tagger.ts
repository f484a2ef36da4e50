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
  /\b(calculate|compute|solve|evaluate|simplify|count|multiply|divide|subtract|sum of|product of|average (of|speed)|square root|(square|cube) of|equation|percent(age)?|factorial|probability|prime|composite|fibonacci|roman numerals?)\b/i,
  /\d+(\.\d+)?\s*(?:[-+*/×÷^%]|plus|minus|times|divided by)\s*\d/i,
  /\bconvert\b.*\d|\d.*\bconvert\b/is,
  // "Add the two numbers.", "What are the first 10 square numbers?"
  /\badd\b[^.?!]*\b(numbers?|digits)\b|\b(two|three|following|these|given|square|even|odd|whole) numbers\b/i,
  // A word problem: "If a train travels 90 km in 1.5 hours, what is its average speed?"
  /\bif\b[^?]*\d[^?]*\bwhat\b/i,
  // Two numbers in the instruction: "Which is larger, 0.5 or 0.45?"
  /\d[\d.,]*\D+\d/,
];
// "How many legs does a spider have?" asks for a fact; "How many apples are left if I eat 3 of 7?" is arithmetic.
const HOW_MANY = /\bhow (many|much)\b/i;
// Open-ended and personal requests: "Tell me a joke.", "Describe your ideal weekend."
const OPEN_ENDED = /\b(joke|story|poem|haiku|your (ideal|favou?rite|dream)|imagine|pretend)\b/i;
// Operations on the given text or word that need language skill only (case, spelling, grammar, word forms).
const REWRITING =
  /\b(rewrite|re-?write|re-?word|convert|translate|paraphrase|rephrase|correct|fix|edit|sort|arrange|reorder|format|transform|change|turn|make .* (passive|active|plural|singular)|summari[sz]e|shorten|simplify the sentence|punctuate|capitali[sz]e|capital letters|upper ?case|lower ?case|backwards|repeat|copy|spell|alphabeti[sz]e|alphabetical|replace|combine|split|pick out|identify the (type|part of speech)|what (type|kind) of (sentence|word|phrase|clause|verb|noun)|passive voice|active voice|synonym|antonym|opposite|plural|past tense|future tense|(the|main|each) (adjective|adverb|verb|noun|pronoun|preposition|conjunction)s?)\b/i;
// Classifying text is analysing it; classifying things (animals, substances, objects) needs knowing them.
const CLASSIFY = /\b(classify|categori[sz]e)\b/i;
const TEXT_UNITS = /\b(sentences?|text|words?|phrases?|paragraphs?|statements?|grammatical|verbs?|nouns?)\b/i;
const FACTUAL = /\b(who|what|when|where|which|how many|how much|name|capital|define|definition|meaning of|stands for|list|identify|describe|explain|tell me|recall|chemical (formula|symbol)|boiling point|freezing point|author of|wrote|invented|discovered|largest|smallest|tallest|longest)\b/i;

/** Input that is only numbers ("10, 2, 25, 16, 7", ": 11, 14, 19."): whatever is asked of it is arithmetic. */
function isNumberList(input: string): boolean {
  return /\d/.test(input) && /^[\s\d.,;:+-]+$/.test(input);
}

/**
 * The rule-based default: first match wins in the order reasoning/math, rewriting/formatting, factual recall.
 * Measured against HAND_LABELLED_INSTRUCTIONS (category-labelled-set.ts); see its header for the labelling rules.
 */
export function ruleBasedCategory(instruction: string, input = ''): DefaultCategory {
  const text = `${instruction}\n${input}`;
  if (MATH.some((re) => re.test(instruction)) || (MATH[1] as RegExp).test(text) || isNumberList(input) || (HOW_MANY.test(instruction) && /\d/.test(text))) return 'reasoning/math';
  if (OPEN_ENDED.test(instruction)) return 'other';
  if (CLASSIFY.test(instruction)) return TEXT_UNITS.test(instruction) ? 'rewriting/formatting' : 'factual recall';
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

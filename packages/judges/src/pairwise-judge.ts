// The pairwise judge: for each item, every chosen pair of models in both orders (Arena-Hard / AlpacaEval style),
// one call per ordered pair asking which answer is better ("A", "B" or "tie"). The verdicts are logged as the
// item's `comparisons`; each model's item score is its win share there (100 x (wins + ties / 2) / comparisons),
// so the pairwise mode sits beside single and batched in every score table, and Bradley-Terry is fitted on the
// comparisons themselves.
import {
  askJudgeModel,
  formatPairwiseJudgePrompt,
  pairwiseDesign,
  pairwiseResponseFormat,
  parsePairwiseReply,
  type ChatRequest,
  type JudgeItemInput,
  type JudgeItemResult,
  type ModelScore,
  type PairwiseComparison,
  type PairwiseWinner,
  type ParsedReply,
  type PlannableJudge,
} from '@judgekit/core';
import type { JudgeFactory, JudgeOptions } from './judge-factory.js';
import { ModelJudge } from './model-judge.js';

const DEFAULT_ORDER_SEED = 123;
/** Failures that say nothing about the answers: the whole item is redone on a rerun (its other calls come from the cache). */
const TRANSPORT_FAILURE = /^(rate-limit|server|timeout|network|auth|aborted):/;

export interface PairwiseJudgeOptions extends JudgeOptions {
  /** Unordered pairs per item, each in both orders; default every pair. */
  pairsPerItem?: number;
}

export class PairwiseJudge extends ModelJudge implements PlannableJudge {
  readonly mode = 'pairwise' as const;
  readonly #orderSeed: number;
  readonly #pairsPerItem: number | undefined;

  constructor(options: PairwiseJudgeOptions) {
    const orderSeed = options.orderSeed ?? DEFAULT_ORDER_SEED;
    super('pairwise', options, {
      orderSeed,
      pairsPerItem: options.pairsPerItem ?? null,
      structuredOutput: options.structuredOutput ?? true,
      strictReplies: options.strictReplies ?? false,
    });
    this.#orderSeed = orderSeed;
    this.#pairsPerItem = options.pairsPerItem;
  }

  /** The ordered pairs of `input`: [first, second] indices into `input.answers`. */
  design(input: Pick<JudgeItemInput, 'index' | 'answers'>): Array<[number, number]> {
    return pairwiseDesign(input.answers.length, input.index, { seed: this.#orderSeed, ...(this.#pairsPerItem !== undefined ? { pairsPerItem: this.#pairsPerItem } : {}) });
  }

  #request(input: JudgeItemInput, first: number, second: number): ChatRequest {
    const response = (model: number): string => (input.answers[model] as { response: string }).response;
    const content = formatPairwiseJudgePrompt({ prompt: input.prompt, output: input.record.output, first: response(first), second: response(second) });
    return {
      model: this.model,
      messages: [{ role: 'user', content }],
      ...(this.options.temperature !== undefined ? { temperature: this.options.temperature } : {}),
      ...(this.options.seed !== undefined ? { seed: this.options.seed } : {}),
      ...(this.options.maxTokens !== undefined ? { maxTokens: this.options.maxTokens } : {}),
      ...((this.options.structuredOutput ?? true) ? { responseSchema: pairwiseResponseFormat() } : {}),
    };
  }

  plannedRequests(input: JudgeItemInput): ChatRequest[] {
    return this.design(input).map(([first, second]) => this.#request(input, first, second));
  }

  async scoreItem(input: JudgeItemInput): Promise<JudgeItemResult> {
    const result: JudgeItemResult = { index: input.index, repeat: input.repeat, scores: [], comparisons: [], calls: 0, cachedCalls: 0, tokenUsage: { prompt: 0, completion: 0 }, attempts: 0 };
    const design = this.design(input);
    const comparisons = await Promise.all(design.map(([first, second]) => this.#compare(input, first, second, result)));
    result.comparisons = comparisons;
    result.scores = winShares(input.answers.map((answer) => answer.model), comparisons);
    return result;
  }

  async #compare(input: JudgeItemInput, first: number, second: number, totals: JudgeItemResult): Promise<PairwiseComparison> {
    const a = (input.answers[first] as { model: string }).model;
    const b = (input.answers[second] as { model: string }).model;
    const request = { ...this.#request(input, first, second), ...(input.signal ? { signal: input.signal } : {}) };
    const parse = (reply: string): ParsedReply<{ winner: PairwiseWinner; comments?: string; lenient?: true }> => {
      const parsed = parsePairwiseReply(reply, { strict: this.options.strictReplies ?? false });
      return 'winner' in parsed ? { value: parsed } : parsed;
    };
    const answered = await askJudgeModel({ calls: this.calls, provider: this.provider, request, repeat: input.repeat, retries: this.retries, parse }, totals);
    if (!('value' in answered)) return { a, b, winner: null, failure: answered.failure, ...(answered.reply !== undefined ? { reply: answered.reply } : {}) };
    const { winner, comments, lenient } = answered.value;
    return { a, b, winner, ...(comments !== undefined ? { comments } : {}), ...(lenient ? { lenient } : {}), reply: answered.reply };
  }
}

/**
 * Each model's item score: 100 x (wins + ties / 2) / usable comparisons it was in. A model in no usable comparison
 * has no score; when a comparison failed on a transport error every score is null with that failure, so a rerun
 * redoes the item (its answered calls come from the cache).
 */
export function winShares(models: readonly string[], comparisons: readonly PairwiseComparison[]): ModelScore[] {
  const transport = comparisons.find((comparison) => comparison.winner === null && TRANSPORT_FAILURE.test(comparison.failure ?? ''));
  if (transport) return models.map((model) => ({ model, score: null, failure: transport.failure as string }));
  return models.map((model) => {
    let points = 0;
    let count = 0;
    let failure: string | undefined;
    let lenient = false;
    for (const comparison of comparisons) {
      if (comparison.a !== model && comparison.b !== model) continue;
      if (comparison.winner === null) {
        failure ??= comparison.failure;
        continue;
      }
      count++;
      lenient ||= comparison.lenient === true;
      const slot = comparison.a === model ? 'A' : 'B';
      points += comparison.winner === 'tie' ? 0.5 : comparison.winner === slot ? 1 : 0;
    }
    if (count === 0) return { model, score: null, failure: failure ?? 'not compared on this item (pairsPerItem)' };
    return { model, score: Math.round((1000 * points) / count) / 10, ...(lenient ? { lenient: true as const } : {}) };
  });
}

export const pairwiseJudgeFactory: JudgeFactory = {
  id: 'pairwise',
  mode: 'pairwise',
  description: 'One call per ordered pair of models and item, both orders: the judge says which answer is better (A, B or tie); Bradley-Terry scores.',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      pairsPerItem: { type: 'integer', minimum: 1, description: 'Unordered model pairs per item, each in both orders, chosen by a seeded design that balances pairs and positions (default: every pair).' },
      orderSeed: { type: 'integer', description: "Seed of the pair design (default 123, or the judge's seed)." },
      structuredOutput: { type: 'boolean', description: 'Ask the provider for JSON Schema output (default true).' },
      strictReplies: { type: 'boolean', description: 'Accept only JSON whose "winner" is exactly "A", "B" or "tie" (default: also "[[A]]", "Model B is better", "tie"...).' },
    },
  },
  needsProvider: true,
  create: (options: JudgeOptions) => new PairwiseJudge(options as PairwiseJudgeOptions),
};

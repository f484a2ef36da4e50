// The study's batched comparative judge: one call per item shows every model's answer, in a balanced seeded
// order, labelled only "Model j"; the JSON reply is validated and mapped back to the models.
import {
  askJudgeModel,
  balancedOrder,
  batchedResponseFormat,
  formatBatchedJudgePrompt,
  parseBatchedReply,
  type ChatRequest,
  type ParsedReply,
  type SlotScore,
  type JudgeItemInput,
  type JudgeItemResult,
  type PlannableJudge,
} from '@judgekit/core';
import type { JudgeFactory, JudgeOptions } from './judge-factory.js';
import { ModelJudge } from './model-judge.js';

const DEFAULT_ORDER_SEED = 123;

export class BatchedJudge extends ModelJudge implements PlannableJudge {
  readonly mode = 'batched' as const;
  readonly #orderSeed: number;

  constructor(options: JudgeOptions) {
    const orderSeed = options.orderSeed ?? DEFAULT_ORDER_SEED;
    super('batched', options, {
      orderSeed,
      reseedPerRepeat: options.reseedPerRepeat ?? false,
      structuredOutput: options.structuredOutput ?? true,
      strictReplies: options.strictReplies ?? false,
    });
    this.#orderSeed = orderSeed;
  }

  /** `order[slot]` = index into `input.answers` of the model shown as "Model slot+1". */
  order(input: Pick<JudgeItemInput, 'index' | 'repeat' | 'answers'>): number[] {
    return balancedOrder(input.answers.length, input.index, { seed: this.#orderSeed, repeat: input.repeat, reseedPerRepeat: this.options.reseedPerRepeat ?? false });
  }

  #request(input: JudgeItemInput, order: readonly number[]): ChatRequest {
    const content = formatBatchedJudgePrompt({
      prompt: input.prompt,
      output: input.record.output,
      responses: order.map((model) => (input.answers[model] as { response: string }).response),
    });
    return {
      model: this.model,
      messages: [{ role: 'user', content }],
      ...(this.options.temperature !== undefined ? { temperature: this.options.temperature } : {}),
      ...(this.options.seed !== undefined ? { seed: this.options.seed } : {}),
      ...(this.options.maxTokens !== undefined ? { maxTokens: this.options.maxTokens } : {}),
      ...((this.options.structuredOutput ?? true) ? { responseSchema: batchedResponseFormat(input.answers.length) } : {}),
    };
  }

  plannedRequests(input: JudgeItemInput): ChatRequest[] {
    return input.answers.length === 0 ? [] : [this.#request(input, this.order(input))];
  }

  async scoreItem(input: JudgeItemInput): Promise<JudgeItemResult> {
    const order = this.order(input);
    const positionOf = new Map<number, number>(order.map((model, slot) => [model, slot + 1]));
    const result: JudgeItemResult = { index: input.index, repeat: input.repeat, scores: [], calls: 0, cachedCalls: 0, tokenUsage: { prompt: 0, completion: 0 }, attempts: 0 };
    const failAll = (failure: string): JudgeItemResult => {
      result.scores = input.answers.map((answer, model) => ({ model: answer.model, score: null, position: positionOf.get(model) as number, failure }));
      return result;
    };
    if (input.answers.length === 0) return result;
    const request = { ...this.#request(input, order), ...(input.signal ? { signal: input.signal } : {}) };
    const parse = (reply: string): ParsedReply<{ slots: SlotScore[]; lenient?: true }> => {
      const parsed = parseBatchedReply(reply, input.answers.length, { strict: this.options.strictReplies ?? false });
      return 'slots' in parsed ? { value: parsed } : parsed;
    };
    const answered = await askJudgeModel({ calls: this.calls, provider: this.provider, request, repeat: input.repeat, retries: this.retries, parse }, result);
    // The call's raw reply is the item's (one call for every model); an unreadable one is kept too.
    if (answered.reply !== undefined) result.reply = answered.reply;
    if ('failure' in answered) return failAll(answered.failure);
    result.scores = input.answers.map((answer, model) => {
      const position = positionOf.get(model) as number;
      const slot = answered.value.slots[position - 1] as SlotScore;
      return { model: answer.model, score: slot.score, position, ...(slot.comments !== undefined ? { comments: slot.comments } : {}), ...(answered.value.lenient ? { lenient: true as const } : {}) };
    });
    return result;
  }
}

export const batchedJudgeFactory: JudgeFactory = {
  id: 'batched',
  mode: 'batched',
  description: 'One call per item scores every model at once, in a balanced order that rotates the positions.',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      orderSeed: { type: 'integer', description: 'Seed of the balanced model order (default 123, or the judge\'s seed).' },
      reseedPerRepeat: { type: 'boolean', description: 'A fresh base order per repeat.' },
      structuredOutput: { type: 'boolean', description: 'Ask the provider for JSON Schema output (default true).' },
      strictReplies: { type: 'boolean', description: 'Accept only JSON that is the reply (or its fence), with integer scores (default: also JSON with prose after it, scores as strings...).' },
    },
  },
  needsProvider: true,
  create: (options: JudgeOptions) => new BatchedJudge(options),
};

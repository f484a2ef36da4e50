// The single-answer judge: one call per model per item, the book's prompt, an integer reply.
import {
  formatSingleJudgePrompt,
  parseScoreReply,
  type ChatRequest,
  type JudgeItemInput,
  type JudgeItemResult,
  type ModelScore,
  type PlannableJudge,
  type SingleJudgeWording,
} from '@judgekit/core';
import type { JudgeFactory, JudgeOptions } from './judge-factory.js';
import { ModelJudge } from './model-judge.js';

export class SingleJudge extends ModelJudge implements PlannableJudge {
  readonly mode = 'single' as const;
  readonly #wording: SingleJudgeWording;

  constructor(options: JudgeOptions) {
    const wording = options.wording ?? 'book';
    super('single', options, { wording, emptyAsZero: options.emptyAsZero ?? false });
    this.#wording = wording;
  }

  #request(input: JudgeItemInput, response: string): ChatRequest {
    const content = formatSingleJudgePrompt({ prompt: input.prompt, output: input.record.output, response }, this.#wording);
    return {
      model: this.model,
      messages: [{ role: 'user', content }],
      ...(this.options.temperature !== undefined ? { temperature: this.options.temperature } : {}),
      ...(this.options.seed !== undefined ? { seed: this.options.seed } : {}),
      ...(this.options.maxTokens !== undefined ? { maxTokens: this.options.maxTokens } : {}),
    };
  }

  #skipsCall(response: string): boolean {
    return (this.options.emptyAsZero ?? false) && response.trim() === '';
  }

  plannedRequests(input: JudgeItemInput): ChatRequest[] {
    return input.answers.filter((answer) => !this.#skipsCall(answer.response)).map((answer) => this.#request(input, answer.response));
  }

  async scoreItem(input: JudgeItemInput): Promise<JudgeItemResult> {
    const result: JudgeItemResult = { index: input.index, repeat: input.repeat, scores: [], calls: 0, cachedCalls: 0, tokenUsage: { prompt: 0, completion: 0 }, attempts: 0 };
    result.scores = await Promise.all(input.answers.map((answer) => this.#scoreAnswer(input, answer, result)));
    return result;
  }

  async #scoreAnswer(input: JudgeItemInput, answer: { model: string; response: string }, totals: JudgeItemResult): Promise<ModelScore> {
    if (this.#skipsCall(answer.response)) return { model: answer.model, score: 0, comments: 'empty answer scored 0 without a call' };
    const request = { ...this.#request(input, answer.response), ...(input.signal ? { signal: input.signal } : {}) };
    let failure = 'no attempt made';
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      const outcome = await this.calls.complete(this.provider, request, { repeat: input.repeat, attempt });
      totals.attempts++;
      if (outcome.cached) totals.cachedCalls++;
      else if (outcome.requests > 0) totals.calls++;
      totals.tokenUsage.prompt += outcome.tokenUsage.prompt;
      totals.tokenUsage.completion += outcome.tokenUsage.completion;
      if (outcome.error) return { model: answer.model, score: null, failure: `${outcome.error.kind}: ${outcome.error.message}` };
      const parsed = parseScoreReply(outcome.output ?? '');
      if ('score' in parsed) return { model: answer.model, score: parsed.score };
      failure = `${parsed.error} (after ${attempt + 1} attempt${attempt === 0 ? '' : 's'})`;
    }
    return { model: answer.model, score: null, failure };
  }
}

export const singleJudgeFactory: JudgeFactory = {
  id: 'single',
  mode: 'single',
  description: 'One call per model and item: the judge scores each answer 0-100 against the reference answer.',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      wording: { enum: ['book', 'study'], description: "Prompt wording: the book's or the study's." },
      emptyAsZero: { type: 'boolean', description: 'Score an empty answer 0 without a call.' },
    },
  },
  needsProvider: true,
  create: (options: JudgeOptions) => new SingleJudge(options),
};

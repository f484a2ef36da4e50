// The single-answer judge: one call per model per item, the book's prompt, an integer reply.
import {
  askJudgeModel,
  formatSingleJudgePrompt,
  JudgekitError,
  parseScoreReply,
  scoreDistribution,
  type ChatRequest,
  type ParsedReply,
  type JudgeItemInput,
  type JudgeItemResult,
  type ModelScore,
  type PlannableJudge,
  type ScoreDistribution,
  type TokenLogprob,
  type SingleJudgeWording,
} from '@judgekit/core';
import type { JudgeFactory, JudgeOptions } from './judge-factory.js';
import { ModelJudge } from './model-judge.js';

export class SingleJudge extends ModelJudge implements PlannableJudge {
  readonly mode = 'single' as const;
  readonly #wording: SingleJudgeWording;

  constructor(options: JudgeOptions) {
    const wording = options.wording ?? 'book';
    // `logprobs` joins the description (and so the judge's fingerprint) only when set: other runs keep their logs.
    super('single', options, { wording, emptyAsZero: options.emptyAsZero ?? false, strictReplies: options.strictReplies ?? false, ...(options.logprobs ? { logprobs: true } : {}) });
    this.#wording = wording;
    if (options.logprobs && !this.provider.logprobs) {
      throw new JudgekitError(
        'usage',
        `The single judge's option logprobs: true needs token log-probabilities, which provider ${this.provider.id}${(this.provider as { api?: string }).api ? ` (api ${(this.provider as { api?: string }).api})` : ''} does not return. Anthropic's API has none; OpenAI's are read from chat completions (api chat). Drop the option or use an OpenAI-compatible chat endpoint.`,
      );
    }
  }

  #request(input: JudgeItemInput, response: string): ChatRequest {
    const content = formatSingleJudgePrompt({ prompt: input.prompt, output: input.record.output, response }, this.#wording);
    return {
      model: this.model,
      messages: [{ role: 'user', content }],
      ...(this.options.temperature !== undefined ? { temperature: this.options.temperature } : {}),
      ...(this.options.seed !== undefined ? { seed: this.options.seed } : {}),
      ...(this.options.maxTokens !== undefined ? { maxTokens: this.options.maxTokens } : {}),
      ...(this.options.logprobs ? { logprobs: true } : {}),
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
    const parse = (reply: string, logprobs?: TokenLogprob[]): ParsedReply<{ score: number; lenient?: true; distribution?: ScoreDistribution }> => {
      const parsed = parseScoreReply(reply, { strict: this.options.strictReplies ?? false });
      if (!('score' in parsed)) return parsed;
      return { value: { ...parsed, ...(this.options.logprobs ? { distribution: scoreDistribution(reply, parsed.score, logprobs) } : {}) } };
    };
    const answered = await askJudgeModel({ calls: this.calls, provider: this.provider, request, repeat: input.repeat, retries: this.retries, parse }, totals);
    if (!('value' in answered)) return { model: answer.model, score: null, failure: answered.failure, ...(answered.reply !== undefined ? { reply: answered.reply } : {}) };
    return { model: answer.model, score: answered.value.score, ...(answered.value.lenient ? { lenient: true as const } : {}), ...(answered.value.distribution ? { distribution: answered.value.distribution } : {}), reply: answered.reply };
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
      strictReplies: { type: 'boolean', description: 'Accept only an integer reply, as the book does (default: also "Score: 85", "85/100", "85" with an explanation...).' },
      logprobs: { type: 'boolean', description: 'Ask for token log-probabilities (OpenAI chat: top 20) and record the distribution over score tokens and the expected score (G-Eval) beside the sampled one. Not available with Anthropic or the responses API (refused).' },
    },
  },
  needsProvider: true,
  create: (options: JudgeOptions) => new SingleJudge(options),
};

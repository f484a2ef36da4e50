// The rubric judge: one call per model and item, asking the judge model to score the answer against the
// criteria the study config gives (`judges[].options.criteria`). Calls go through the host's call runner, so
// they are cached, retried and rate-limited like the built-in judges' calls.
import {
  askJudgeModel,
  JudgekitError,
  type ChatCallRunner,
  type ChatModelProvider,
  type ChatRequest,
  type JsonSchema,
  type JudgeFactory,
  type JudgeFactoryOptions,
  type JudgeItemInput,
  type JudgeItemResult,
  type ParsedReply,
  type ModelScore,
  type PlannableJudge,
} from '@judgekit/core';
import { formatRubricPrompt, parseRubricReply } from './rubric-prompt.js';

/** `judges[].options` of a judge with `"mode": "rubric"`, defaults filled in. */
export interface RubricOptions {
  criteria: string[];
  scale: number;
  showReference: boolean;
}

export const rubricOptionsSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['criteria'],
  properties: {
    criteria: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { type: 'string', minLength: 1 },
      description: 'What a good answer does, one criterion each; the judge weighs them all.',
    },
    scale: { type: 'integer', minimum: 1, maximum: 100, default: 10, description: 'The judge scores 0..scale; results are rescaled to 0-100.' },
    showReference: { type: 'boolean', default: true, description: 'Show the judge the reference answer.' },
  },
};

export class RubricJudge implements PlannableJudge {
  readonly mode = 'rubric';
  readonly description: PlannableJudge['description'];
  readonly #provider: ChatModelProvider;
  readonly #calls: ChatCallRunner;
  readonly #model: string;
  readonly #rubric: RubricOptions;
  readonly #factoryOptions: JudgeFactoryOptions;
  readonly #retries: number;

  constructor(options: JudgeFactoryOptions) {
    if (!options.provider || !options.calls || !options.model) {
      throw new JudgekitError('usage', 'The rubric judge calls a model: give "judge": "<provider>:<model>" in the config, or --judge openai:gpt-4o-mini.');
    }
    const given = (options.options ?? {}) as Partial<RubricOptions>;
    if (!Array.isArray(given.criteria) || given.criteria.length === 0) {
      throw new JudgekitError('config', 'The rubric judge needs options.criteria: a non-empty list of what a good answer does.');
    }
    this.#provider = options.provider;
    this.#calls = options.calls;
    this.#model = options.model;
    this.#rubric = { criteria: given.criteria, scale: given.scale ?? 10, showReference: given.showReference ?? true };
    this.#factoryOptions = options;
    this.#retries = options.retries ?? 2;
    // The description identifies the judge in results and in every call's cache key: the rubric is part of it.
    this.description = {
      mode: 'rubric',
      provider: options.provider.id,
      model: options.model,
      ...this.#rubric,
      temperature: options.temperature,
      seed: options.seed,
      maxTokens: options.maxTokens,
      retries: this.#retries,
    };
  }

  #request(input: JudgeItemInput, response: string): ChatRequest {
    const content = formatRubricPrompt({
      prompt: input.prompt,
      ...(this.#rubric.showReference ? { reference: input.record.output } : {}),
      response,
      criteria: this.#rubric.criteria,
      scale: this.#rubric.scale,
    });
    const { temperature, seed, maxTokens } = this.#factoryOptions;
    return {
      model: this.#model,
      messages: [{ role: 'user', content }],
      ...(temperature !== undefined ? { temperature } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(maxTokens !== undefined ? { maxTokens } : {}),
    };
  }

  plannedRequests(input: JudgeItemInput): ChatRequest[] {
    return input.answers.map((answer) => this.#request(input, answer.response));
  }

  async scoreItem(input: JudgeItemInput): Promise<JudgeItemResult> {
    const result: JudgeItemResult = { index: input.index, repeat: input.repeat, scores: [], calls: 0, cachedCalls: 0, tokenUsage: { prompt: 0, completion: 0 }, attempts: 0 };
    result.scores = await Promise.all(input.answers.map((answer) => this.#scoreAnswer(input, answer, result)));
    return result;
  }

  async #scoreAnswer(input: JudgeItemInput, answer: { model: string; response: string }, totals: JudgeItemResult): Promise<ModelScore> {
    const request = { ...this.#request(input, answer.response), ...(input.signal ? { signal: input.signal } : {}) };
    // core's protocol re-asks an unusable reply under the next attempt number (a new cache key) and counts the calls.
    const parse = (reply: string): ParsedReply<number> => {
      const parsed = parseRubricReply(reply, this.#rubric.scale);
      return 'score' in parsed ? { value: parsed.score } : parsed;
    };
    const answered = await askJudgeModel({ calls: this.#calls, provider: this.#provider, request, repeat: input.repeat, retries: this.#retries, parse }, totals);
    return 'value' in answered ? { model: answer.model, score: answered.value } : { model: answer.model, score: null, failure: answered.failure };
  }
}

export const rubricJudgeFactory: JudgeFactory = {
  id: 'rubric',
  description: 'One call per model and item: the judge model scores each answer 0-scale against the criteria in options, rescaled to 0-100.',
  optionsSchema: rubricOptionsSchema,
  needsProvider: true,
  create: (options: JudgeFactoryOptions) => new RubricJudge(options),
};

// What the single and batched judges share: the provider, call runner, model and re-asks every judge that calls
// a model needs, checked once, and the description fields every such judge records.
import type { ChatModelProvider, JudgeCallRunner, JudgeMode, PlannableJudge } from '@judgekit/core';
import { modelJudgeParts, type JudgeOptions } from './judge-factory.js';

export abstract class ModelJudge {
  readonly description: PlannableJudge['description'];
  protected readonly provider: ChatModelProvider;
  protected readonly calls: JudgeCallRunner;
  protected readonly model: string;
  protected readonly options: JudgeOptions;
  protected readonly retries: number;

  /** `own`: the mode's own description fields, recorded between the model and the sampling settings. */
  constructor(mode: JudgeMode, options: JudgeOptions, own: Record<string, unknown>) {
    const parts = modelJudgeParts(options, mode);
    this.provider = parts.provider;
    this.calls = parts.calls;
    this.model = parts.model;
    this.options = options;
    this.retries = parts.retries;
    this.description = {
      mode,
      provider: parts.provider.id,
      model: parts.model,
      ...own,
      temperature: options.temperature,
      seed: options.seed,
      maxTokens: options.maxTokens,
      retries: parts.retries,
    };
  }
}

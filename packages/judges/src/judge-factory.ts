// Options of this package's judges, on top of core's JudgeFactory contract (the token and interface live in core).
import { JudgeFactory, JudgekitError, type ChatModelProvider, type ChatRequest, type Judge, type JudgeFactoryOptions, type JudgeItemInput } from '@judgekit/core';
import type { JudgeCallRunner } from './judge-call-runner.js';
import type { SingleJudgeWording } from './single-judge-prompt.js';

export interface JudgeOptions extends JudgeFactoryOptions {
  /** Needed by judges that call a model. */
  provider?: ChatModelProvider;
  calls?: JudgeCallRunner;
  model?: string;
  temperature?: number;
  /** Sampling seed passed to the provider (where it takes one). */
  seed?: number;
  maxTokens?: number;
  /** Re-asks after an unusable reply. Default 2. */
  retries?: number;
  /** Single judge: prompt wording. Default 'book'. */
  wording?: SingleJudgeWording;
  /** Single judge: score an empty answer 0 without a call. */
  emptyAsZero?: boolean;
  /** Batched judge: seed of the balanced model order. Default 123. */
  orderSeed?: number;
  /** Batched judge: a fresh base order per repeat. */
  reseedPerRepeat?: boolean;
  /** Batched judge: ask the provider for structured output (JSON Schema). Default true (providers that can't ignore it). */
  structuredOutput?: boolean;
}

/** A judge that can say which calls it would make, so a dry run can count and price them. */
export interface PlannableJudge extends Judge {
  plannedRequests(input: JudgeItemInput): ChatRequest[];
}

export function isPlannable(judge: Judge): judge is PlannableJudge {
  return typeof (judge as Partial<PlannableJudge>).plannedRequests === 'function';
}

/** What every judge that calls a model needs, checked once: provider, call runner, model and re-asks. */
export function modelJudgeParts(options: JudgeOptions, mode: string): { provider: ChatModelProvider; calls: JudgeCallRunner; model: string; retries: number } {
  if (!options.provider || !options.calls || !options.model) {
    throw new JudgekitError('usage', `The ${mode} judge needs a provider and model: pass --judge <provider>:<model>, e.g. --judge openai:gpt-4o-mini.`);
  }
  return { provider: options.provider, calls: options.calls, model: options.model, retries: options.retries ?? 2 };
}

export { JudgeFactory };

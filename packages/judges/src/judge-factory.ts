// Contribution point for judge modes: each mode's factory builds a configured Judge. (A candidate for core's
// contracts; it lives here until core takes it, under the same Symbol.for name so the token will not change.)
import type { ChatModelProvider, ChatRequest, Judge, JudgeItemInput, JudgeMode } from '@judgekit/core';
import type { JudgeCallRunner } from './judge-call-runner.js';
import type { SingleJudgeWording } from './single-judge-prompt.js';

export interface JudgeOptions {
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

export const JudgeFactory = Symbol.for('@judgekit/core/JudgeFactory');
export interface JudgeFactory {
  readonly mode: JudgeMode;
  /** Whether the judge calls a model (and so needs `--judge <provider>:<model>`). */
  readonly needsProvider: boolean;
  create(options: JudgeOptions): Judge;
}

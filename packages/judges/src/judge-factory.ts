// Options of this package's judges, on top of core's JudgeFactory contract (the token and interface live in core).
import { isPlannable, JudgeFactory, JudgekitError, type ChatModelProvider, type JudgeCallRunner, type JudgeFactoryOptions, type PlannableJudge, type SingleJudgeWording } from '@judgekit/core';

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
  /**
   * Read replies strictly: the single judge takes only an integer (the book's `int(reply)`), the batched judge only
   * JSON that is the reply, its fence or between its first `{` and last `}`, with integer scores. Default false.
   */
  strictReplies?: boolean;
  /**
   * Single judge: ask for token log-probabilities and record, per judgment, the distribution over score tokens and its
   * expected score (G-Eval style). Refused for a provider that cannot return them (Anthropic, OpenAI's responses API).
   */
  logprobs?: boolean;
}

/** What every judge that calls a model needs, checked once: provider, call runner, model and re-asks. */
export function modelJudgeParts(options: JudgeOptions, mode: string): { provider: ChatModelProvider; calls: JudgeCallRunner; model: string; retries: number } {
  if (!options.provider || !options.calls || !options.model) {
    throw new JudgekitError('usage', `The ${mode} judge needs a provider and model: pass --judge <provider>:<model>, e.g. --judge openai:gpt-4o-mini.`);
  }
  return { provider: options.provider, calls: options.calls, model: options.model, retries: options.retries ?? 2 };
}

export { isPlannable, JudgeFactory, type PlannableJudge };

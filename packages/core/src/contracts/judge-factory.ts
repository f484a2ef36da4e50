// Contribution point for judge modes: a plugin binds one JudgeFactory per mode, and commands build configured
// judges from it. Calls go through a ChatCallRunner (cache, concurrency, retries) that the host supplies.
import type { ChatModelProvider, ChatRequest, ChatResponse } from './chat-model-provider.js';
import type { Contribution } from './contribution.js';
import type { Judge, JudgeMode } from './judge.js';

export interface ChatCallContext {
  /** Which repeat (sample) of the item this call belongs to; part of the cache key. */
  repeat: number;
  /** Which try at a usable reply (judges re-ask after an invalid reply); part of the cache key. */
  attempt?: number;
}

export interface ChatCallOutcome extends ChatResponse {
  /** Requests sent for this call, retries included (0 when cached). */
  requests: number;
}

/** Makes chat calls for judges with caching, a concurrency limit, timeouts and retries. */
export interface ChatCallRunner {
  complete(provider: ChatModelProvider, request: ChatRequest, context: ChatCallContext): Promise<ChatCallOutcome>;
}

export interface JudgeFactoryOptions {
  /** Needed by judges that call a model. */
  provider?: ChatModelProvider;
  calls?: ChatCallRunner;
  model?: string;
  temperature?: number;
  seed?: number;
  maxTokens?: number;
  /** Re-asks after an unusable reply. */
  retries?: number;
  /** The config's `judges[].options`, validated against the factory's `optionsSchema`. */
  options?: Record<string, unknown>;
  /** Mode-specific options (e.g. a single judge's prompt wording). */
  [option: string]: unknown;
}

export const JudgeFactory = Symbol.for('@judgekit/core/JudgeFactory');
/** Selected by the config's `judges[].mode` (or `--mode`); `judges[].options` are validated against `optionsSchema`. */
export interface JudgeFactory extends Contribution {
  /** The mode this factory makes judges for: `single`, `batched`, `reference`, or a plugin's. */
  readonly id: JudgeMode;
  /** @deprecated the same as `id`; read by judgekit only when `id` is missing. */
  readonly mode?: JudgeMode;
  /** Whether the judge calls a model (and so needs `<provider>:<model>`). */
  readonly needsProvider: boolean;
  create(options: JudgeFactoryOptions): Judge;
}

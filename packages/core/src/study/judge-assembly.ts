// The one place a configured judge is built, for `judgekit judge`, `judgekit run` and scripts alike: the mode's
// JudgeFactory and its options from the registry, a provider from `<provider>:<model>`, and a call runner (cache,
// concurrency, timeouts, retries) of its own.
import type { ChatModelProvider } from '../contracts/chat-model-provider.js';
import type { Judge } from '../contracts/judge.js';
import type { JudgeConfig } from '../config/study-config.js';
import { JudgekitError, type JudgekitErrorKind } from '../errors.js';
import type { ConfigPath, ContributionRegistry } from '../plugins/contribution-registry.js';
import { DiskCache } from '../run/disk-cache.js';
import { assertPathSafeName } from '../util/safe-name.js';
import { JudgeCallRunner } from '../protocol/judging/judge-call-runner.js';
import { hasRateLimits, processProviderLimiters, providerEndpointKey, type ProviderLimiters } from '../protocol/judging/rate-limiter.js';

/** A judge config plus what only the command line sets. */
export interface JudgeSettings extends JudgeConfig {
  /** Endpoint override (else OPENAI_BASE_URL / ANTHROPIC_BASE_URL, else the vendor's). */
  baseURL?: string;
  /** Batched judges: ask for JSON Schema output; unset lets the provider decide. */
  structuredOutput?: boolean;
  /** Retries of a call after 429, 5xx, timeouts and network errors. Default 4. */
  httpRetries?: number;
  reseedPerRepeat?: boolean;
  orderSeed?: number;
  /** Plan only: the provider is made without requiring an API key, since no call will be sent. */
  dryRun?: boolean;
}

export interface StudyJudge {
  /** Column name in the results. */
  name: string;
  settings: JudgeSettings;
  judge: Judge;
  calls: JudgeCallRunner;
  cache: DiskCache;
  provider?: ChatModelProvider;
  /** The model after `<provider>:`. */
  model?: string;
}

export interface JudgeAssemblyContext {
  registry: ContributionRegistry;
  env: NodeJS.ProcessEnv;
  cacheDir: string;
  at: ConfigPath;
  /** Error kind for bad settings: `config` for a study file, `usage` for flags. */
  errorKind?: JudgekitErrorKind;
  /** Where judges with `rateLimit` find their endpoint's shared limiter; default the process's. */
  limiters?: ProviderLimiters;
}

/** `provider:model`; the model may itself contain colons (e.g. `openai:ft:gpt-4o-mini:org::id`). */
export function parseProviderModel(spec: string, where: string, kind: JudgekitErrorKind = 'config'): { provider: string; model: string } {
  const colon = spec.indexOf(':');
  if (colon <= 0 || colon === spec.length - 1) {
    throw new JudgekitError(kind, `${where} must be <provider>:<model>, e.g. openai:gpt-4o-mini or anthropic:claude-haiku-4-5; got "${spec}".`);
  }
  return { provider: spec.slice(0, colon), model: spec.slice(colon + 1) };
}

/** The column name of each judge: its `name`, else its mode, made unique with a counter. */
export function judgeNames(configs: readonly JudgeConfig[]): string[] {
  const seen = new Map<string, number>();
  return configs.map((config) => {
    const base = config.name ?? config.mode;
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    return count === 1 ? base : `${base}-${count}`;
  });
}

function where(at: ConfigPath, field: string): string {
  return `${at.file ? `${at.file}: ` : ''}${at.path}.${field}`;
}

function createProvider(settings: JudgeSettings, context: JudgeAssemblyContext): { provider: ChatModelProvider; model: string } {
  const { at, registry } = context;
  if (!settings.judge) throw new JudgekitError(context.errorKind ?? 'config', `${where(at, 'judge')}: mode "${settings.mode}" calls a model: give "<provider>:<model>", e.g. openai:gpt-4o-mini.`);
  const spec = parseProviderModel(settings.judge, where(at, 'judge'), context.errorKind);
  const { value: factory, options } = registry.resolve('chat-provider', spec.provider, settings.providerOptions, { ...at, path: `${at.path}.judge`, options: `${at.path}.providerOptions` });
  const provider = factory.create({
    ...options,
    env: context.env,
    timeoutMs: settings.timeoutMs ?? 120_000,
    ...(settings.api ? { api: settings.api } : {}),
    ...(settings.baseURL ? { baseURL: settings.baseURL } : {}),
    ...(settings.structuredOutput !== undefined ? { structuredOutput: settings.structuredOutput } : {}),
    ...(settings.dryRun ? { keyOptional: true } : {}),
  });
  return { provider, model: spec.model };
}

export function assembleJudge(name: string, given: JudgeSettings, context: JudgeAssemblyContext): StudyJudge {
  const { value: factory, options } = context.registry.resolve('judge', given.mode, given.options, context.at);
  const cache = new DiskCache(context.cacheDir);
  // With rate limits, `maxInFlight` is this judge's concurrency too unless `concurrency` says otherwise (and the
  // judge stage keeps items in flight to match).
  const settings: JudgeSettings = given.concurrency === undefined && given.rateLimit?.maxInFlight !== undefined ? { ...given, concurrency: given.rateLimit.maxInFlight } : given;
  const target = factory.needsProvider ? createProvider(settings, context) : undefined;
  const limiter =
    target && hasRateLimits(settings.rateLimit)
      ? (context.limiters ?? processProviderLimiters).forEndpoint(providerEndpointKey(target.provider), settings.rateLimit, { defaultMaxInFlight: settings.concurrency ?? 4 })
      : undefined;
  const calls = new JudgeCallRunner({
    cache,
    concurrency: settings.concurrency ?? 4,
    timeoutMs: settings.timeoutMs ?? 120_000,
    ...(settings.httpRetries !== undefined ? { transportRetries: settings.httpRetries } : {}),
    ...(limiter ? { limiter } : {}),
  });
  const judge = factory.create({
    ...(target ? { provider: target.provider, model: target.model } : {}),
    calls,
    ...(settings.temperature !== undefined ? { temperature: settings.temperature } : {}),
    ...(settings.seed !== undefined ? { seed: settings.seed, orderSeed: settings.seed } : {}),
    ...(settings.orderSeed !== undefined ? { orderSeed: settings.orderSeed } : {}),
    ...(settings.maxTokens !== undefined ? { maxTokens: settings.maxTokens } : {}),
    ...(settings.retries !== undefined ? { retries: settings.retries } : {}),
    ...(settings.wording ? { wording: settings.wording } : {}),
    ...(settings.emptyAsZero !== undefined ? { emptyAsZero: settings.emptyAsZero } : {}),
    ...(settings.strictReplies !== undefined ? { strictReplies: settings.strictReplies } : {}),
    ...(settings.reseedPerRepeat !== undefined ? { reseedPerRepeat: settings.reseedPerRepeat } : {}),
    // The mode's own options, validated: also spread, so built-in judges read them like flags.
    ...options,
    options,
  });
  return { name, settings, judge, calls, cache, ...(target ? { provider: target.provider, model: target.model } : {}) };
}

/** Every judge of a study config, in order, named for the results table. */
export function assembleStudyJudges(configs: readonly JudgeConfig[], context: Omit<JudgeAssemblyContext, 'at'> & { file: string }): StudyJudge[] {
  const names = judgeNames(configs);
  return configs.map((config, index) => {
    // A study keeps each judge's own files in judges/<name>/.
    assertPathSafeName(names[index] as string, `${context.file}: judges[${index}].name`);
    return assembleJudge(names[index] as string, config, { ...context, at: { file: context.file, path: `judges[${index}]` } });
  });
}

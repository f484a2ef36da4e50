// Builds the judges a study config names: a JudgeFactory per mode, a provider per `<provider>:<model>`, and one
// call runner (cache, concurrency, retries) per judge.
import { ChatModelProviderFactory, DiskCache, getContributions, JudgekitError, type ChatModelProvider, type Judge, type JudgeConfig } from '@judgekit/core';
import { JudgeCallRunner, JudgeFactory } from '@judgekit/judges';
import type { Container } from 'inversify';

export interface ConfiguredJudge {
  name: string;
  config: JudgeConfig;
  judge: Judge;
  calls: JudgeCallRunner;
  provider?: ChatModelProvider;
}

/** The column name of a judge: its `name`, else its mode, made unique with a counter. */
export function judgeNames(configs: readonly JudgeConfig[]): string[] {
  const seen = new Map<string, number>();
  return configs.map((config) => {
    const base = config.name ?? config.mode;
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    return count === 1 ? base : `${base}-${count}`;
  });
}

export function splitJudgeSpec(spec: string, where: string): { provider: string; model: string } {
  const colon = spec.indexOf(':');
  if (colon <= 0 || colon === spec.length - 1) {
    throw new JudgekitError('config', `${where}: "judge" must be <provider>:<model>, e.g. openai:gpt-4o-mini; got "${spec}".`);
  }
  return { provider: spec.slice(0, colon), model: spec.slice(colon + 1) };
}

export function buildStudyJudges(container: Container, configs: readonly JudgeConfig[], options: { env: NodeJS.ProcessEnv; cacheDir: string; file: string }): ConfiguredJudge[] {
  const factories = getContributions<JudgeFactory>(container, JudgeFactory);
  const providers = getContributions<ChatModelProviderFactory>(container, ChatModelProviderFactory);
  const names = judgeNames(configs);
  return configs.map((config, index) => {
    const where = `${options.file}: judges[${index}]`;
    const factory = factories.find((candidate) => candidate.mode === config.mode);
    if (!factory) throw new JudgekitError('config', `${where}: unsupported mode "${config.mode}". Should be one of: ${factories.map((f) => f.mode).join(', ')}.`);
    const timeoutMs = config.timeoutMs ?? 120_000;
    const calls = new JudgeCallRunner({ cache: new DiskCache(options.cacheDir), concurrency: config.concurrency ?? 4, timeoutMs });
    let provider: ChatModelProvider | undefined;
    let model: string | undefined;
    if (factory.needsProvider) {
      if (!config.judge) throw new JudgekitError('config', `${where}: mode "${config.mode}" needs "judge": "<provider>:<model>".`);
      const spec = splitJudgeSpec(config.judge, where);
      const providerFactory = providers.find((candidate) => candidate.id === spec.provider);
      if (!providerFactory) throw new JudgekitError('config', `${where}: unsupported provider "${spec.provider}". Should be one of: ${providers.map((p) => p.id).join(', ')}.`);
      provider = providerFactory.create({ env: options.env, timeoutMs, ...(config.api ? { api: config.api } : {}) });
      model = spec.model;
    }
    const judge = factory.create({
      ...(provider ? { provider } : {}),
      calls,
      ...(model ? { model } : {}),
      ...(config.temperature !== undefined ? { temperature: config.temperature } : {}),
      ...(config.seed !== undefined ? { seed: config.seed, orderSeed: config.seed } : {}),
      ...(config.maxTokens !== undefined ? { maxTokens: config.maxTokens } : {}),
      ...(config.retries !== undefined ? { retries: config.retries } : {}),
      ...(config.wording ? { wording: config.wording } : {}),
      ...(config.emptyAsZero !== undefined ? { emptyAsZero: config.emptyAsZero } : {}),
    });
    return { name: names[index] as string, config, judge, calls, ...(provider ? { provider } : {}) };
  });
}

// `judgekit judge`: score answer files with a single, batched or reference judge into a run directory.
import {
  AGGREGATE_RULES,
  assembleJudge,
  DEFAULT_PRICES,
  defaultCacheDir,
  JudgekitError,
  JudgeRunner,
  loadAnswerFiles,
  loadPriceTable,
  parseProviderModel,
  planJudgeRun,
  promptTemplateNames,
  scrubSecrets,
  scrubUrl,
  SINGLE_JUDGE_WORDINGS,
  type AggregateRule,
  type JudgeRunPlan,
  type PriceTable,
  type SingleJudgeWording,
} from '@judgekit/core';
import { assembleJudgekit } from '../builtin-plugins.js';
import { resolve } from 'node:path';
import { integerOption, stringOption, type CliCommand, type ParsedArgs } from '../cli-command.js';
import { FORCE_LOCK_OPTION, lockRunDirectory } from '../run-dir-lock.js';
import { BATCH_API_OPTIONS, formatBatchPlan, readExecution, sendRunAsBatches } from '../batch-api-options.js';

function choice<T extends string>(args: ParsedArgs, name: string, allowed: readonly T[], fallback?: T): T | undefined {
  const raw = stringOption(args, name);
  if (raw === undefined) return fallback;
  if (!allowed.includes(raw as T)) throw new JudgekitError('usage', `Unsupported --${name} "${raw}". Should be one of: ${allowed.join(', ')}.`);
  return raw as T;
}

function numberOption(args: ParsedArgs, name: string, minimum: number): number | undefined {
  const raw = stringOption(args, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < minimum) throw new JudgekitError('usage', `--${name} must be a number >= ${minimum}, got "${raw}".`);
  return value;
}

/** `--options '{"criteria": [...]}'`: the judge mode's own options, as JSON. */
function jsonOption(args: ParsedArgs, name: string): Record<string, unknown> | undefined {
  const raw = stringOption(args, name);
  if (raw === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    throw new JudgekitError('usage', `--${name} must be a JSON object: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new JudgekitError('usage', `--${name} must be a JSON object, e.g. '{"criteria": ["accuracy"]}'.`);
  return value as Record<string, unknown>;
}

/** A base URL fit for a log: no user name or password, no secret query parameter (`?key=`). */
function displayUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return scrubUrl(parsed.toString().replace(/\/$/, ''));
  } catch {
    return '(unparseable URL)';
  }
}

function formatUsd(value: number | null): string {
  if (value === null) return 'unknown (no price for this model; pass --prices <file>)';
  return `$${value < 0.01 && value > 0 ? value.toFixed(4) : value.toFixed(2)}`;
}

function formatPlan(plan: JudgeRunPlan): string {
  const lines = [
    `${plan.items} items x ${plan.models} models x ${plan.repeats} repeat${plan.repeats === 1 ? '' : 's'}${plan.autoMaxRepeats ? ` (repeats auto: then up to ${plan.autoMaxRepeats} for the items still uncertain, not counted here)` : ''}: ${plan.judgmentsToDo} judgments to do (${plan.judgmentsDone} already in the run directory)`,
    `calls: ${plan.calls} (${plan.cachedCalls} answered by the cache, ${plan.sharedCalls} identical to another call of this run, ${plan.calls - plan.cachedCalls - plan.sharedCalls} to make; retries not counted)`,
    `estimated tokens: ${plan.estimatedTokens.prompt} prompt + ${plan.estimatedTokens.completion} completion (about 4 characters a token)`,
    `estimated cost: ${formatUsd(plan.estimatedCostUsd)}${plan.price ? ` at $${plan.price.input}/$${plan.price.output} per 1M input/output tokens` : ''}`,
  ];
  // What changed since the logged judgments were made, so a rerun's cost is no surprise.
  for (const redo of plan.redo) lines.push(`redo ${redo.judgments} judgment${redo.judgments === 1 ? '' : 's'}: ${redo.reason} (${redo.examples.join(', ')}${redo.judgments > redo.examples.length ? ', ...' : ''})`);
  return `${lines.join('\n')}\n`;
}

export const command: CliCommand = {
  name: 'judge',
  summary: 'Score answer files with an LLM judge (single, batched) or offline (reference) into a run directory',
  usage: 'judgekit judge --mode single|batched|pairwise|reference --judge <provider>:<model> --out <dir> [options] <answers.json|.jsonl ...> (one model per file, or per `<model> response` field)',
  options: {
    mode: { type: 'string', value: '<single|batched|pairwise|reference>', description: 'single: one call per answer (the book); batched: one call per item for all models (the study); pairwise: one call per ordered pair of models and item, Bradley-Terry scores; reference: ROUGE-L F1, no calls' },
    judge: { type: 'string', value: '<provider>:<model>', description: 'Judge model, e.g. openai:gpt-4o-mini, anthropic:claude-haiku-4-5 (not for reference mode)' },
    out: { type: 'string', short: 'o', value: '<dir>', description: 'Run directory to write (rerunning into it resumes)' },
    name: { type: 'string', value: '<name>', description: 'Judge name in the run (results column, log keys); default the mode' },
    concurrency: { type: 'string', value: '<n>', description: 'Judge calls in flight at once', default: '4' },
    seed: { type: 'string', value: '<n>', description: 'Seed of the batched model order and the bootstrap (also sent to the provider as its sampling seed when given)' },
    repeats: { type: 'string', value: '<k|auto>', description: 'Judge every item k times (distinct cache keys: k real samples); auto: 2 times, then only the uncertain items again until the models are separated, the CIs are narrower than --target-ci-width, or --max-repeats (see docs/analysis.md)', default: '1' },
    'max-repeats': { type: 'string', value: '<n>', description: 'With --repeats auto: most repeats of any item (default 8)' },
    'min-repeats': { type: 'string', value: '<n>', description: 'With --repeats auto: repeats of every item before deciding (default 2)' },
    'target-ci-width': { type: 'string', value: '<points>', description: "With --repeats auto: also stop when every model's 95% CI is narrower than this" },
    aggregate: { type: 'string', value: '<drop-failed|failed-as-zero>', description: 'How failed items count: dropped (book) or as 0 (study); default failed-as-zero for batched, else drop-failed' },
    'dry-run': { type: 'boolean', description: 'Print the calls, tokens and estimated cost, make no calls' },
    api: { type: 'string', value: '<chat|responses>', description: 'OpenAI API flavour', default: 'chat' },
    'base-url': { type: 'string', value: '<url>', description: 'Provider endpoint (default OPENAI_BASE_URL / ANTHROPIC_BASE_URL, else the vendor)' },
    'structured-output': { type: 'string', value: '<auto|on|off>', description: 'Batched: ask for JSON-schema output; auto = only on api.openai.com', default: 'auto' },
    temperature: { type: 'string', value: '<t>', description: 'Sampling temperature (default: the provider default)' },
    'max-tokens': { type: 'string', value: '<n>', description: 'Maximum reply tokens' },
    'timeout-ms': { type: 'string', value: '<ms>', description: 'Timeout of each call', default: '120000' },
    retries: { type: 'string', value: '<n>', description: 'Re-asks after an unusable reply (unparseable score, invalid JSON)', default: '2' },
    'http-retries': { type: 'string', value: '<n>', description: 'Retries of a call after 429, 5xx, timeout or network error (backoff, honours Retry-After)', default: '4' },
    rpm: { type: 'string', value: '<n>', description: "The endpoint's requests per minute: calls are paced to it, at an adaptive concurrency (see --max-in-flight)" },
    tpm: { type: 'string', value: '<n>', description: "The endpoint's tokens per minute (prompt + completion, estimated before each call): calls are paced to it" },
    'max-in-flight': { type: 'string', value: '<n>', description: 'Adaptive concurrency up to n: grows while calls succeed, halves on 429/5xx, waits out Retry-After (default --concurrency when --rpm or --tpm is given)' },
    template: { type: 'string', value: '<book|study>', description: 'Alpaca prompt template the models were given', default: 'book' },
    wording: { type: 'string', value: '<book|study>', description: 'Single judge prompt wording ("from 0 to 100" or "of 0 to 100")', default: 'book' },
    'empty-as-zero': { type: 'boolean', description: 'Single judge: score an empty answer 0 without a call' },
    'strict-replies': { type: 'boolean', description: 'Accept only replies in the exact form asked for: an integer (single, as the book) or JSON with integer scores (batched); default also reads "Score: 85", "85/100", JSON with prose after it' },
    'reseed-per-repeat': { type: 'boolean', description: 'Batched: a different balanced order for each repeat' },
    'cache-dir': { type: 'string', value: '<dir>', description: 'Judge-call cache (default JUDGEKIT_CACHE_DIR, else ~/.cache/judgekit)' },
    plugin: { type: 'string', multiple: true, value: '<module>', description: 'Load a judge or provider plugin (npm package or path exporting a ContainerModule); repeatable' },
    options: { type: 'string', value: '<json>', description: "The judge mode's own options as a JSON object, checked against its schema (see `judgekit plugins --kind judge`)" },
    prices: { type: 'string', value: '<file>', description: 'JSON price table {"provider:model": {"input": usdPer1M, "output": usdPer1M}} added to the built-in one' },
    ...BATCH_API_OPTIONS,
    queue: { type: 'string', value: '<redis://host:port>', description: 'Be a coordinator: cut the judging into units for `judgekit worker` processes on this Redis (see docs/scale.md)' },
    'unit-size': { type: 'string', value: '<n>', description: 'With --queue: items per unit', default: '25' },
    'force-lock': FORCE_LOCK_OPTION,
  },

  async run(args, io) {
    const mode = stringOption(args, 'mode');
    if (!mode) throw new JudgekitError('usage', '--mode is required: single, batched, pairwise or reference.');
    const outOption = stringOption(args, 'out');
    if (!outOption) throw new JudgekitError('usage', '--out <dir> is required: the run directory to write.');
    if (args.positionals.length === 0) throw new JudgekitError('usage', 'Give one or more answer files ({name}-ift-test-results.json, .jsonl, or a file with `<model> response` fields) after the options.');

    const plugins = (args.values.plugin as string[] | undefined) ?? [];
    const { registry } = await assembleJudgekit({ plugins, baseDir: io.cwd });
    if (!registry.has('judge', mode)) throw new JudgekitError('usage', `Unsupported --mode "${mode}". Should be one of: ${registry.describeAvailable('judge')}.`);
    const needsProvider = registry.get('judge', mode).needsProvider;

    const rpm = numberOption(args, 'rpm', 1);
    const tpm = numberOption(args, 'tpm', 1);
    const maxInFlight = integerOption(args, 'max-in-flight', undefined, 1);
    const rateLimit = { ...(rpm !== undefined ? { requestsPerMinute: rpm } : {}), ...(tpm !== undefined ? { tokensPerMinute: tpm } : {}), ...(maxInFlight !== undefined ? { maxInFlight } : {}) };
    const limited = Object.keys(rateLimit).length > 0;
    // --max-in-flight alone sets how many calls may be in flight (the adaptive limit moves below it).
    const concurrency = integerOption(args, 'concurrency', maxInFlight ?? 4, 1) as number;
    const autoRepeats = stringOption(args, 'repeats') === 'auto';
    const repeats = autoRepeats ? 1 : (integerOption(args, 'repeats', 1, 1) as number);
    const targetCiWidth = numberOption(args, 'target-ci-width', 0);
    const autoSettings = { max: integerOption(args, 'max-repeats', 8, 2) as number, min: integerOption(args, 'min-repeats', 2, 2) as number, ...(targetCiWidth !== undefined ? { targetCiWidth } : {}) };
    if (!autoRepeats && (stringOption(args, 'max-repeats') ?? stringOption(args, 'min-repeats') ?? stringOption(args, 'target-ci-width')) !== undefined) {
      throw new JudgekitError('usage', '--max-repeats, --min-repeats and --target-ci-width go with --repeats auto.');
    }
    const seedGiven = integerOption(args, 'seed');
    const seed = seedGiven ?? 123;
    const timeoutMs = integerOption(args, 'timeout-ms', 120_000, 1) as number;
    const retries = integerOption(args, 'retries', 2, 0) as number;
    const httpRetries = integerOption(args, 'http-retries', 4, 0) as number;
    const maxTokens = integerOption(args, 'max-tokens', undefined, 1);
    const temperature = numberOption(args, 'temperature', 0);
    const aggregate = choice<AggregateRule>(args, 'aggregate', AGGREGATE_RULES);
    const api = choice(args, 'api', ['chat', 'responses'] as const, 'chat') as 'chat' | 'responses';
    const structured = choice(args, 'structured-output', ['auto', 'on', 'off'] as const, 'auto');
    const template = choice(args, 'template', promptTemplateNames(), 'book') as string;
    const wording = choice<SingleJudgeWording>(args, 'wording', SINGLE_JUDGE_WORDINGS, 'book');
    const baseURL = stringOption(args, 'base-url');
    const cacheDir = resolve(io.cwd, stringOption(args, 'cache-dir') ?? defaultCacheDir(io.env));
    const outDir = resolve(io.cwd, outOption);
    const judgeOptions = jsonOption(args, 'options');
    const { execution, batch } = readExecution(args);
    const queueUrl = stringOption(args, 'queue');
    const unitSize = integerOption(args, 'unit-size', 25, 1) as number;
    if (autoRepeats && (queueUrl || execution === 'batch-api')) throw new JudgekitError('usage', '--repeats auto decides each repeat from the scores of the ones before: it does not go with --queue or --execution batch-api (use a fixed --repeats).');
    if (queueUrl && execution === 'batch-api') throw new JudgekitError('usage', '--queue and --execution batch-api do not go together: a provider batch already runs off this machine.');

    const answers = await loadAnswerFiles(args.positionals.map((file) => resolve(io.cwd, file)));

    let prices: PriceTable = DEFAULT_PRICES;
    const pricesFile = stringOption(args, 'prices');
    if (pricesFile) prices = { ...DEFAULT_PRICES, ...(await loadPriceTable(resolve(io.cwd, pricesFile))) };

    const judgeSpec = stringOption(args, 'judge');
    if (needsProvider) {
      if (!judgeSpec) throw new JudgekitError('usage', `--mode ${mode} needs --judge <provider>:<model>, e.g. --judge openai:gpt-4o-mini.`);
      const { provider: providerId } = parseProviderModel(judgeSpec, '--judge', 'usage');
      if (!registry.has('chat-provider', providerId)) throw new JudgekitError('usage', `Unsupported judge provider "${providerId}". Should be one of: ${registry.describeAvailable('chat-provider')}.`);
    } else if (judgeSpec) {
      io.stderr.write(`judgekit judge: --judge is ignored in ${mode} mode (it makes no calls).\n`);
    }
    const assembled = assembleJudge(stringOption(args, 'name') ?? mode, {
      mode,
      ...(judgeSpec ? { judge: judgeSpec } : {}),
      api,
      ...(baseURL ? { baseURL } : {}),
      ...(structured === 'auto' ? {} : { structuredOutput: structured === 'on' }),
      concurrency,
      timeoutMs,
      httpRetries,
      retries,
      ...(limited ? { rateLimit } : {}),
      ...(temperature !== undefined ? { temperature } : {}),
      ...(seedGiven !== undefined ? { seed: seedGiven } : {}),
      orderSeed: seed,
      ...(maxTokens !== undefined ? { maxTokens } : {}),
      wording: wording as SingleJudgeWording,
      emptyAsZero: args.values['empty-as-zero'] === true,
      strictReplies: args.values['strict-replies'] === true,
      reseedPerRepeat: args.values['reseed-per-repeat'] === true,
      ...(judgeOptions ? { options: judgeOptions } : {}),
      // A coordinator makes no calls itself (its workers do, with their own keys).
      ...(args.values['dry-run'] === true || queueUrl ? { dryRun: true } : {}),
    }, { registry, env: io.env, cacheDir, at: { path: '--mode', options: '--options' }, errorKind: 'usage' });
    const { judge, calls, cache, provider } = assembled;

    const runOptions = {
      answers,
      judge,
      outDir,
      ...(stringOption(args, 'name') ? { judgeName: stringOption(args, 'name') as string } : {}),
      template,
      repeats,
      ...(autoRepeats ? { autoRepeats: autoSettings } : {}),
      itemsInFlight: concurrency + 2,
      ...(aggregate ? { aggregate } : {}),
      calls,
      ...(provider ? { provider } : {}),
      prices,
      seed,
      ...(io.signal ? { signal: io.signal } : {}),
      progress: { stream: io.stderr as NodeJS.WriteStream },
      notify: (message: string) => io.stderr.write(`judgekit judge: ${scrubSecrets(message)}\n`),
      config: {
        mode,
        judge: judgeSpec ?? null,
        api,
        baseURL: displayUrl(provider ? ((provider as { baseURL?: string }).baseURL ?? baseURL) : undefined) ?? null,
        structuredOutput: structured,
        concurrency,
        seed,
        repeats: autoRepeats ? 'auto' : repeats,
        ...(autoRepeats ? { autoRepeats: autoSettings } : {}),
        aggregate: aggregate ?? null,
        temperature: temperature ?? null,
        maxTokens: maxTokens ?? null,
        timeoutMs,
        retries,
        httpRetries,
        ...(limited ? { rateLimit } : {}),
        template,
        wording,
        emptyAsZero: args.values['empty-as-zero'] === true,
        strictReplies: args.values['strict-replies'] === true,
        reseedPerRepeat: args.values['reseed-per-repeat'] === true,
        ...(judgeOptions ? { options: judgeOptions } : {}),
        cacheDir,
        prices: pricesFile ? resolve(io.cwd, pricesFile) : null,
        answerFiles: answers.map((model) => model.file),
        ...(execution === 'batch-api' ? { execution, batchSettings: batch } : {}),
      },
    };

    const plan = await planJudgeRun(runOptions);
    if (args.values['dry-run'] === true) {
      io.stdout.write(`Dry run (no calls made) for ${judge.mode} ${judge.description.provider}:${judge.description.model} into ${outDir}\n${formatPlan(plan)}${execution === 'batch-api' ? formatBatchPlan(plan) : ''}`);
      return 0;
    }
    if (plan.calls - plan.cachedCalls - plan.sharedCalls > 0) io.stderr.write(`judgekit judge: ${formatPlan(plan).split('\n').slice(1, 4).join('; ')}\n`);

    // One process per run directory: a second one would pay for the same calls and mix its writes in.
    const lock = await lockRunDirectory(outDir, 'judge', args, io);
    let summary: Awaited<ReturnType<JudgeRunner['run']>>;
    try {
      // --execution batch-api: the calls go as provider batches first; the judge then answers them all from the cache.
      const batched = execution === 'batch-api' ? await sendRunAsBatches(runOptions, cache, batch, io) : undefined;
      if (batched === 'interrupted') return 130;
      summary = queueUrl
        ? await (await import('../queue-judge.js')).runJudgeOnQueue(runOptions, { url: queueUrl, unitSize, judgeName: assembled.name, settings: assembled.settings, plugins, cacheDir, answerFiles: args.positionals.map((file) => resolve(io.cwd, file)), template }, io)
        : await new JudgeRunner().run(batched ? { ...runOptions, config: { ...runOptions.config, batch: batched } } : runOptions);
    } finally {
      lock.release();
    }
    io.stdout.write(`\n${summary.markdown}\n`);
    const stats = summary.calls;
    if (stats) {
      io.stdout.write(
        `calls: ${stats.calls} made (${stats.requests} requests, ${stats.retries} retries, ${stats.failedCalls} failed), ${stats.cachedCalls} from the cache, ${stats.sharedCalls} shared with an identical call; ` +
          `tokens: ${stats.tokenUsage.prompt} prompt + ${stats.tokenUsage.completion} completion; cost: ${formatUsd(summary.costUsd)}\n`,
      );
    }
    io.stdout.write(`run directory: ${outDir}\n`);
    if (cache.corrupt > 0) io.stderr.write(`judgekit judge: ${cache.corrupt} damaged cache entr${cache.corrupt === 1 ? 'y was' : 'ies were'} ignored and the calls made again (${cacheDir}).\n`);
    if (summary.interrupted) {
      io.stderr.write('judgekit judge: interrupted; rerun the same command to finish the missing judgments.\n');
      return 130;
    }
    const anyScore = summary.results.models.some((model) => model.scored > 0);
    if (!anyScore && summary.results.items > 0) {
      io.stderr.write('judgekit judge: no item got a score; see the `judge.failure` fields of the annotated files (often a wrong key, model name or base URL).\n');
      return 1;
    }
    return 0;
  },
};

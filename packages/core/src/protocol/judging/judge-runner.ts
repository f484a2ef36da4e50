// Runs one judge over a set of answer files into a run directory: items.json, judgments.jsonl (appended as
// each item finishes, read back on a rerun so only missing items are done), annotated answers, results and
// run.json. Reusable by the pipeline: it takes a built Judge and JudgeCallRunner and knows no CLI.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ChatModelProvider, TokenUsage } from '../../contracts/chat-model-provider.js';
import { isPlannable, type Judge, type JudgeItemInput, type JudgeItemResult, type ModelScore } from '../../contracts/judge.js';
import type { ModelAnswers } from '../../contracts/records.js';
import { formatAlpacaPrompt, type PromptTemplateRef } from '../../data/prompt-template.js';
import { JudgekitError } from '../../errors.js';
import { JsonlLog, type LogProblem } from '../../run/jsonl-log.js';
import { RunStore } from '../../run/run-store.js';
import { judgmentKey, type JudgmentInputs, type JudgmentRecord, type RunItems, type RunResults } from '../../run/run-directory.js';
import { sweepStaleTemporaries, writeFileAtomic, writeJsonAtomic } from '../../util/atomic-write.js';
import { canonicalHash, canonicalJson, sha256Hex } from '../../util/canonical-hash.js';
import { mapConcurrent } from '../../util/concurrency.js';
import { scrubSecrets } from '../../util/scrub-secrets.js';
import { packageVersion } from '../../util/package-version.js';
import { Progress } from '../../util/progress.js';
import { callCacheKey, type CallStats, type JudgeCallRunner } from './judge-call-runner.js';
import { costUsd, DEFAULT_PRICES, estimateTokens, findPrice, type ModelPrice, type PriceTable } from './price-table.js';
import { batchSpendSummary, SpendLog, spendCostUsd, totalSpend, type SessionSpend } from './spend-log.js';
import { annotateRecords, formatResultsCsv, formatResultsMarkdown, scoreGrid, summarizeModel, type ResultsRow } from './judge-results.js';
import type { AggregateRule } from './score-aggregate.js';
import { summarizePairwise } from './pairwise-run-summary.js';
import { AUTO_STOP_EXPLANATIONS, autoRepeatsSettings, autoRoundStatus, decideAutoRound, type AutoRepeatsOptions, type AutoRepeatsRecord, type AutoRepeatsSettings, type AutoRoundStatus, type AutoStopReason } from './auto-repeats.js';
import { expectedScores, formatStabilityMarkdown, judgeStability, pairwiseVerdictFlips } from './judge-stability.js';

export interface JudgeRunOptions {
  answers: readonly ModelAnswers[];
  judge: Judge;
  outDir: string;
  /**
   * Where items.json and judgments.jsonl go when several judges share one run directory (a study): every judge
   * appends to the one log (its keys name the judge). Default: `outDir`.
   */
  sharedDir?: string;
  /** The judge's name in the run (results column, log keys). Default: its mode. */
  judgeName?: string;
  /** Alpaca template the models were prompted with. Default 'book'. */
  template?: PromptTemplateRef;
  repeats?: number;
  /**
   * `--repeats auto`: `repeats` is ignored; every item is judged `min` times, then only the items still uncertain
   * are judged again, one repeat at a time, until the models are separated, the CIs are narrow enough or `max` is
   * reached (see auto-repeats.ts). The reason it stopped goes to `notify` and results.json (`judges[].autoRepeats`).
   */
  autoRepeats?: AutoRepeatsOptions;
  /**
   * Items in flight at once. Calls are limited separately by the JudgeCallRunner; keep a couple more items
   * than its concurrency so a call slot never waits while an item's reply is parsed. (Many more only queues
   * calls earlier and costs memory.) Default 6.
   */
  itemsInFlight?: number;
  /** Default: failed-as-zero for batched (the study), drop-failed otherwise (the book). */
  aggregate?: AggregateRule;
  /** The call runner the judge uses, for call and token counts. */
  calls?: JudgeCallRunner;
  /** The judge's provider, so a dry run can ask the cache which calls are already answered. */
  provider?: ChatModelProvider;
  prices?: PriceTable;
  /** Seed of the bootstrap intervals. Default 123. */
  seed?: number;
  signal?: AbortSignal;
  /** Progress line options; `status` replaces the call limit shown after it (a coordinator shows its units and workers). */
  progress?: { stream?: NodeJS.WriteStream; enabled?: boolean; status?: () => string | undefined };
  /** Options to record in run.json (never secrets). */
  config?: Record<string, unknown>;
  /** Notices for the user (log problems, redone items). */
  notify?: (message: string) => void;
}

export interface JudgeRunPlan {
  items: number;
  models: number;
  /** With auto repeats: the first `min` repeats, the ones certain to be made (the plan counts only those). */
  repeats: number;
  /** Auto repeats: the most repeats any item may get. */
  autoMaxRepeats?: number;
  /** Judgments (item x repeat) already in judgments.jsonl. */
  judgmentsDone: number;
  judgmentsToDo: number;
  /** First-attempt calls still to make, and how many of those the cache already answers. */
  calls: number;
  cachedCalls: number;
  /** Calls that repeat an identical call of this run (same prompt and parameters): made once, counted here. */
  sharedCalls: number;
  /** Logged judgments that will be redone, by why (an answer, the item or the judge changed...). */
  redo: RedoReason[];
  estimatedTokens: TokenUsage;
  price?: ModelPrice;
  estimatedCostUsd: number | null;
}

export interface RedoReason {
  reason: string;
  judgments: number;
  /** Up to five of their keys (`judge/repeat/index`). */
  examples: string[];
}

export interface JudgeRunSummary {
  results: RunResults;
  markdown: string;
  runDir: string;
  files: string[];
  logProblems: LogProblem[];
  /** Judgments redone because the log held them damaged, from another judge, or failed on transport errors. */
  redone: number;
  newJudgments: number;
  calls: CallStats | undefined;
  costUsd: number | null;
  interrupted: boolean;
}

const TRANSPORT_FAILURE = /^(rate-limit|server|timeout|network|auth|aborted):/;

export function defaultAggregate(mode: string): AggregateRule {
  return mode === 'batched' ? 'failed-as-zero' : 'drop-failed';
}

/**
 * The file stem for `{stem}-annotated.json`: the answer file's name without `.json`/`.jsonl` (and, for one column of
 * a file with several models' answers, the column: `eval-example-data-model-1-response`), else the model name.
 */
export function annotatedStem(model: ModelAnswers): string {
  if (!model.file) return model.name;
  const name = basename(model.file).replace(/\.jsonl?$/i, '');
  return model.column ? `${name}-${model.column.trim().replace(/[^\w.-]+/g, '-')}` : name;
}

interface PreparedRun {
  judgeName: string;
  /** With auto repeats: the most any item may get. */
  repeats: number;
  auto?: AutoRepeatsSettings;
  items: RunItems['items'];
  modelNames: string[];
  inputs: (repeat: number, index: number) => JudgeItemInput;
  /** What a judgment of item `index` depends on, as short content hashes. */
  fingerprint: (index: number) => JudgmentInputs;
  /** The judge's description, to say which setting changed when a logged judgment was made differently. */
  judgeSettings: Record<string, unknown>;
}

const shortHash = (value: unknown): string => (typeof value === 'string' ? sha256Hex(value) : canonicalHash(value)).slice(0, 16);

function prepare(options: JudgeRunOptions): PreparedRun {
  const first = options.answers[0];
  if (!first) throw new JudgekitError('usage', 'No answer files given: pass one or more {name}-ift-test-results.json files.');
  const auto = options.autoRepeats ? autoRepeatsSettings(options.autoRepeats) : undefined;
  const repeats = auto ? auto.max : (options.repeats ?? 1);
  if (!Number.isInteger(repeats) || repeats < 1) throw new JudgekitError('usage', `repeats must be an integer >= 1, got ${repeats}.`);
  const stems = new Map<string, string>();
  for (const model of options.answers) {
    const stem = annotatedStem(model);
    const other = stems.get(stem);
    if (other !== undefined) {
      throw new JudgekitError('input', `Answer files ${other} and ${model.file ?? model.name} would both be annotated as ${stem}-annotated.json: rename one.`, { file: model.file });
    }
    stems.set(stem, model.file ?? model.name);
  }
  const template = options.template ?? 'book';
  const items = first.records.map((record, index) => ({
    index,
    instruction: record.instruction,
    input: record.input,
    output: record.output,
    prompt: formatAlpacaPrompt(record, template),
  }));
  const modelNames = options.answers.map((model) => model.name);
  // Everything about the judge that can change a verdict is in its description (mode, model, sampling settings,
  // wording, schema, order seed...); the endpoint decides which server answers.
  const judgeSettings = { ...options.judge.description };
  const judgeHash = shortHash({ judge: judgeSettings, endpoint: options.provider?.cacheIdentity ?? null });
  const itemHashes = items.map((item) => shortHash(item));
  const answerHashes = options.answers.map((model) => model.records.map((record) => shortHash(record.model_response)));
  return {
    judgeName: options.judgeName ?? options.judge.mode,
    repeats,
    ...(auto ? { auto } : {}),
    items,
    modelNames,
    judgeSettings,
    fingerprint: (index) => ({ judge: judgeHash, item: itemHashes[index] as string, answers: answerHashes.map((hashes) => hashes[index] as string) }),
    inputs: (repeat, index) => {
      const item = items[index] as RunItems['items'][number];
      return {
        index,
        repeat,
        record: { instruction: item.instruction, input: item.input, output: item.output },
        prompt: item.prompt,
        answers: options.answers.map((model) => ({ model: model.name, response: (model.records[index] as { model_response: string }).model_response })),
        ...(options.signal ? { signal: options.signal } : {}),
      };
    },
  };
}

/** Which of the judge's settings differ from those it had when it made the logged judgments, e.g. `temperature 0 -> 0.7`. */
function changedSettings(previous: Record<string, unknown> | undefined, current: Record<string, unknown>): string {
  if (!previous) return '';
  const changed = [...new Set([...Object.keys(previous), ...Object.keys(current)])]
    .filter((key) => !['name', 'aggregate', 'repeats'].includes(key) && canonicalJson(previous[key]) !== canonicalJson(current[key]))
    .map((key) => `${key} ${canonicalJson(previous[key]) ?? 'unset'} -> ${canonicalJson(current[key]) ?? 'unset'}`);
  return changed.length > 0 ? ` (${changed.join(', ')})` : '';
}

/** Why a logged judgment cannot be reused, or undefined when it can. */
function staleReason(record: JudgmentRecord, run: PreparedRun, judge: Judge, key: string, previousJudge: Record<string, unknown> | undefined): string | undefined {
  if (record.judge !== run.judgeName || judgmentKey(record.judge, record.repeat, record.index) !== key) return 'its key does not match its content';
  if (record.mode !== judge.mode || record.provider !== judge.description.provider || record.model !== judge.description.model) {
    return `it was made by ${record.mode} ${record.provider}:${record.model}, not ${judge.mode} ${judge.description.provider}:${judge.description.model}`;
  }
  const models = record.scores.map((score) => score.model);
  if (models.length !== run.modelNames.length || models.some((model, i) => model !== run.modelNames[i])) return 'it scores a different set of models';
  if (record.scores.some((score) => score.score === null && TRANSPORT_FAILURE.test(score.failure ?? ''))) return 'it failed on a transport error';
  if (!record.inputs) return 'it was logged without a fingerprint of its inputs (an older judgekit)';
  const now = run.fingerprint(record.index);
  if (record.inputs.judge !== now.judge) return `the judge's settings changed${changedSettings(previousJudge, run.judgeSettings)}`;
  if (record.inputs.item !== now.item) return 'the item changed (its instruction, input, reference answer or prompt template)';
  const changed = run.modelNames.filter((_, m) => record.inputs?.answers[m] !== now.answers[m]);
  if (changed.length > 0) return `the answer of ${changed.join(', ')} changed`;
  return undefined;
}

interface LogState {
  done: Map<string, JudgmentRecord>;
  problems: LogProblem[];
  redo: number;
  reasons: RedoReason[];
}

/** The judge as run.json last recorded it, to name the settings that changed. */
async function previousJudgeSettings(runFile: string): Promise<Record<string, unknown> | undefined> {
  try {
    const judge = (JSON.parse(await readFile(runFile, 'utf8')) as { judge?: Record<string, unknown> }).judge;
    return judge && typeof judge === 'object' ? judge : undefined;
  } catch {
    return undefined;
  }
}

async function readLog(log: JsonlLog<JudgmentRecord>, run: PreparedRun, judge: Judge, runFile: string, notify: (message: string) => void): Promise<LogState> {
  const contents = await log.read();
  const problems = [...contents.problems];
  for (const problem of contents.problems) notify(`${log.path} line ${problem.line}: ${problem.reason}; that judgment will be redone.`);
  const previousJudge = contents.entries.size > 0 ? await previousJudgeSettings(runFile) : undefined;
  const done = new Map<string, JudgmentRecord>();
  const reasons = new Map<string, RedoReason>();
  let redo = 0;
  for (let repeat = 0; repeat < run.repeats; repeat++) {
    for (const item of run.items) {
      const key = judgmentKey(run.judgeName, repeat, item.index);
      const record = contents.entries.get(key);
      if (!record) continue;
      const reason = staleReason(record, run, judge, key, previousJudge);
      if (reason) {
        redo++;
        if (reason === 'its key does not match its content') problems.push({ line: 0, reason: `${key}: ${reason}` });
        const entry = reasons.get(reason) ?? { reason, judgments: 0, examples: [] };
        entry.judgments++;
        if (entry.examples.length < 5) entry.examples.push(key);
        reasons.set(reason, entry);
        continue;
      }
      done.set(key, record);
    }
  }
  // One line per reason, not per judgment: a changed setting redoes every judgment at once.
  for (const entry of reasons.values()) {
    notify(`${entry.judgments} judgment${entry.judgments === 1 ? ' is' : 's are'} redone because ${entry.reason} (${entry.examples.join(', ')}${entry.judgments > entry.examples.length ? ', ...' : ''}).`);
  }
  return { done, problems, redo, reasons: [...reasons.values()] };
}

function priceFor(options: JudgeRunOptions): ModelPrice | undefined {
  return findPrice(options.prices ?? DEFAULT_PRICES, options.judge.description.provider, options.judge.description.model);
}

/** Completion tokens a reply is expected to take, for estimates: a number, or a JSON object per model. */
function expectedCompletionTokens(mode: string, models: number, maxTokens: unknown): number {
  const guess = mode === 'batched' ? 12 + 30 * models : mode === 'pairwise' ? 12 : 3;
  return typeof maxTokens === 'number' ? Math.min(guess, maxTokens) : guess;
}

/** What a run would do: judgments and calls still to make, tokens and cost. Makes no calls. */
export async function planJudgeRun(options: JudgeRunOptions): Promise<JudgeRunPlan> {
  const run = prepare(options);
  const log = new JsonlLog<JudgmentRecord>(new RunStore(options.sharedDir ?? options.outDir).file('judgments'));
  const { done, reasons } = await readLog(log, run, options.judge, new RunStore(options.outDir).file('run'), () => undefined);
  const plan: JudgeRunPlan = {
    items: run.items.length,
    models: run.modelNames.length,
    repeats: run.auto ? run.auto.min : run.repeats,
    ...(run.auto ? { autoMaxRepeats: run.auto.max } : {}),
    judgmentsDone: done.size,
    judgmentsToDo: 0,
    calls: 0,
    cachedCalls: 0,
    sharedCalls: 0,
    redo: reasons,
    estimatedTokens: { prompt: 0, completion: 0 },
    estimatedCostUsd: null,
  };
  const provider = options.judge.description.provider;
  const planned = new Set<string>();
  // Auto repeats: only the first `min` repeats are certain; later ones depend on the scores (up to `max`).
  for (let repeat = 0; repeat < (run.auto ? run.auto.min : run.repeats); repeat++) {
    for (const item of run.items) {
      if (done.has(judgmentKey(run.judgeName, repeat, item.index))) continue;
      plan.judgmentsToDo++;
      if (!isPlannable(options.judge)) continue;
      for (const request of options.judge.plannedRequests(run.inputs(repeat, item.index))) {
        plan.calls++;
        if (options.provider) {
          const key = callCacheKey(options.provider, request, { repeat });
          if (planned.has(key)) {
            plan.sharedCalls++;
            continue;
          }
          planned.add(key);
        }
        const cached = options.calls && options.provider ? await options.calls.isCached(options.provider, request, { repeat }) : false;
        if (cached) {
          plan.cachedCalls++;
          continue;
        }
        plan.estimatedTokens.prompt += request.messages.reduce((sum, message) => sum + estimateTokens(message.content), 0);
        plan.estimatedTokens.completion += expectedCompletionTokens(options.judge.mode, run.modelNames.length, request.maxTokens);
      }
    }
  }
  const price = provider === 'none' ? undefined : priceFor(options);
  if (price) {
    plan.price = price;
    plan.estimatedCostUsd = costUsd(plan.estimatedTokens, price);
  } else if (plan.calls - plan.cachedCalls - plan.sharedCalls === 0) plan.estimatedCostUsd = 0;
  return plan;
}

/** The judge inputs of every (repeat, item) the run still has to judge (as `JudgeRunner.run` would), e.g. to send their calls as a provider batch first. */
export async function pendingJudgeInputs(options: JudgeRunOptions): Promise<JudgeItemInput[]> {
  const run = prepare(options);
  if (run.auto) throw new JudgekitError('usage', 'repeats auto decides each repeat from the scores of the ones before, so it cannot send the whole run ahead as provider batches or queue units: use a fixed number of repeats with --execution batch-api or --queue.');
  const log = new JsonlLog<JudgmentRecord>(new RunStore(options.sharedDir ?? options.outDir).file('judgments'));
  const { done } = await readLog(log, run, options.judge, new RunStore(options.outDir).file('run'), () => undefined);
  const inputs: JudgeItemInput[] = [];
  for (let repeat = 0; repeat < run.repeats; repeat++) {
    for (const item of run.items) if (!done.has(judgmentKey(run.judgeName, repeat, item.index))) inputs.push(run.inputs(repeat, item.index));
  }
  return inputs;
}

/** Versions of the code that made the judgments: core, the provider's package and SDK (when it says), Node. */
async function packageVersions(provider: ChatModelProvider | undefined): Promise<Record<string, string | undefined>> {
  let providerVersions: Record<string, string> = {};
  try {
    providerVersions = (await provider?.versions?.()) ?? {};
  } catch {
    // A missing version is not worth failing a finished run for.
  }
  // Found by its package name, so the path is the same from src/ and dist/.
  return { '@judgekit/core': packageVersion('@judgekit/core', import.meta.url), ...providerVersions, node: process.version };
}

async function datasetChecksums(answers: readonly ModelAnswers[]): Promise<{ sha256: string; files: Array<{ model: string; file?: string; sha256: string }> }> {
  const files = await Promise.all(
    answers.map(async (model) => ({
      model: model.name,
      ...(model.file ? { file: model.file } : {}),
      sha256: model.file ? sha256Hex(await readFile(model.file)) : sha256Hex(JSON.stringify(model.records)),
    })),
  );
  return { sha256: sha256Hex(files.map((file) => file.sha256).join('\n')), files };
}

async function readPreviousSessions(path: string): Promise<unknown[]> {
  try {
    const previous = JSON.parse(await readFile(path, 'utf8')) as { sessions?: unknown[] };
    return Array.isArray(previous.sessions) ? previous.sessions : [];
  } catch {
    return [];
  }
}

interface Judged {
  state: LogState;
  newJudgments: number;
  interrupted: boolean;
  /** Auto repeats: why it stopped, the items of each repeat, and where the scores stood. */
  auto?: { stopped: AutoStopReason; itemsPerRepeat: number[]; status: AutoRoundStatus };
}

interface Summarized {
  grid: ReturnType<typeof scoreGrid>;
  rows: ResultsRow[];
  results: RunResults;
  markdown: string;
}

/** What the log holds for every judgment, summed (cache hits included), for run.json. */
function judgmentTotals(records: Iterable<JudgmentRecord>): { calls: number; cachedCalls: number; attempts: number; tokenUsage: TokenUsage } {
  const totals = { calls: 0, cachedCalls: 0, attempts: 0, tokenUsage: { prompt: 0, completion: 0 } };
  for (const record of records) {
    totals.calls += record.calls;
    totals.cachedCalls += record.cachedCalls;
    totals.attempts += record.attempts;
    totals.tokenUsage.prompt += record.tokenUsage.prompt;
    totals.tokenUsage.completion += record.tokenUsage.completion;
  }
  return totals;
}

/** The judge's own text (raw replies, comments, failure reasons that quote a reply) with secrets scrubbed, as every output is. */
function scrubJudgeTexts<T extends { reply?: string; comments?: string; failure?: string }>(entry: T): T {
  const out = { ...entry };
  for (const field of ['reply', 'comments', 'failure'] as const) {
    const text = out[field];
    if (typeof text === 'string') out[field] = scrubSecrets(text) as T[typeof field];
  }
  return out;
}

/**
 * One line of judgments.jsonl. The raw replies (per score for single judges, per comparison for pairwise ones, one
 * per item for batched ones) are recorded for the report's item browser; like everything else recorded, they are not
 * in `inputs`, so they never make a judgment stale.
 */
function judgmentRecord(run: PreparedRun, judge: Judge, repeat: number, index: number, result: JudgeItemResult): JudgmentRecord {
  return {
    judge: run.judgeName,
    mode: judge.mode,
    provider: judge.description.provider,
    model: judge.description.model,
    index,
    repeat,
    scores: result.scores.map(scrubJudgeTexts),
    ...(result.comparisons ? { comparisons: result.comparisons.map(scrubJudgeTexts) } : {}),
    ...(result.reply !== undefined ? { reply: scrubSecrets(result.reply) } : {}),
    calls: result.calls,
    cachedCalls: result.cachedCalls,
    tokenUsage: result.tokenUsage,
    attempts: result.attempts,
    inputs: run.fingerprint(index),
  };
}

/** Runs one judge over a set of answer files into a run directory, resuming from its judgments log. */
export class JudgeRunner {
  async run(options: JudgeRunOptions): Promise<JudgeRunSummary> {
    const started = new Date();
    const startedMs = performance.now();
    const store = new RunStore(options.outDir);
    const shared = new RunStore(options.sharedDir ?? options.outDir);
    await sweepStaleTemporaries(store.dir);
    const run = prepare(options);
    const aggregate = options.aggregate ?? defaultAggregate(options.judge.mode);
    const files = [await this.writeItems(shared, options, run)];
    const sessionId = `${started.toISOString()} pid ${process.pid}`;
    const spend = new SpendLog(store.file('spend'), sessionId);
    const stopRecording = options.calls?.onSpend((paid) => spend.append(paid));
    let judged: Judged;
    try {
      judged = await this.judgeMissing(shared, options, run);
    } finally {
      stopRecording?.();
    }
    if (spend.failure) options.notify?.(`cannot record spend in ${spend.path} (${spend.failure.message}); run.json's totals leave out some of this session's calls.`);
    files.push(shared.file('judgments'));
    const price = options.judge.description.provider === 'none' ? undefined : priceFor(options);
    const spent = await SpendLog.read(store.file('spend'));
    const summary = this.summarize(options, run, judged.state, aggregate, judged);
    // Calls answered by provider batches were billed at the batch price: results.json says so beside the scores.
    const batch = batchSpendSummary(totalSpend(spent.values()), price);
    if (batch) summary.results.judges = summary.results.judges.map((entry) => ({ ...entry, batch }));
    if (!judged.interrupted) files.push(...(await this.writeResults(store, options, summary)));
    const stats = options.calls?.stats;
    const sessionCost = stats ? (price ? costUsd(stats.tokenUsage, price) : stats.calls === 0 ? 0 : null) : 0;
    const session = {
      id: sessionId,
      startedAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
      wallMs: Math.round(performance.now() - startedMs),
      newJudgments: judged.newJudgments,
      redone: judged.state.redo,
      logProblems: judged.state.problems.length,
      interrupted: judged.interrupted,
      calls: stats ?? null,
      costUsd: sessionCost,
    };
    files.push(await this.writeRunRecord(store, options, run, judged.state, { aggregate, price, session, spent }));
    return {
      results: summary.results,
      markdown: summary.markdown,
      runDir: store.dir,
      files,
      logProblems: judged.state.problems,
      redone: judged.state.redo,
      newJudgments: judged.newJudgments,
      calls: stats,
      costUsd: sessionCost,
      interrupted: judged.interrupted,
    };
  }

  /** `items.json`: the test items and every model's answers. */
  async writeItems(store: RunStore, options: JudgeRunOptions, run: PreparedRun): Promise<string> {
    const runItems: RunItems = {
      items: run.items,
      models: options.answers.map((model) => ({ name: model.name, ...(model.file ? { file: model.file } : {}), responses: model.records.map((record) => record.model_response) })),
    };
    await writeJsonAtomic(store.file('items'), runItems);
    return store.file('items');
  }

  /** Judges every (repeat, item) the log lacks, appending each judgment as it comes. */
  async judgeMissing(store: RunStore, options: JudgeRunOptions, run: PreparedRun): Promise<Judged> {
    const judge = options.judge;
    const log = new JsonlLog<JudgmentRecord>(store.file('judgments'));
    const state = await readLog(log, run, judge, new RunStore(options.outDir).file('run'), options.notify ?? (() => undefined));
    const judged: Judged = { state, newJudgments: 0, interrupted: false };
    if (run.auto) return this.judgeAuto(log, options, run, judged, run.auto);
    const todo: Array<{ repeat: number; index: number }> = [];
    for (let repeat = 0; repeat < run.repeats; repeat++) {
      for (const item of run.items) if (!state.done.has(judgmentKey(run.judgeName, repeat, item.index))) todo.push({ repeat, index: item.index });
    }
    await this.judgeList(log, options, run, judged, todo, `judge ${run.judgeName}`);
    return judged;
  }

  /**
   * Auto repeats: the first `min` repeats of every item, then one repeat at a time of the items `decideAutoRound`
   * picks from the judgments of the repeats before it. A rerun replays the same decisions from the log (and the
   * cache), so it makes no calls; logged judgments that the replay does not pick are left out of the results.
   */
  async judgeAuto(log: JsonlLog<JudgmentRecord>, options: JudgeRunOptions, run: PreparedRun, judged: Judged, auto: AutoRepeatsSettings): Promise<Judged> {
    const state = judged.state;
    const aggregate = options.aggregate ?? defaultAggregate(options.judge.mode);
    const seed = options.seed ?? 123;
    const picked = new Map<string, JudgmentRecord>();
    const itemsPerRepeat: number[] = [];
    const judgeRepeat = async (repeat: number, indices: readonly number[]): Promise<void> => {
      const todo = indices.filter((index) => !state.done.has(judgmentKey(run.judgeName, repeat, index))).map((index) => ({ repeat, index }));
      if (todo.length > 0) await this.judgeList(log, options, run, judged, todo, `judge ${run.judgeName} repeat ${repeat + 1}`);
      itemsPerRepeat.push(indices.length);
      for (const index of indices) {
        const key = judgmentKey(run.judgeName, repeat, index);
        const record = state.done.get(key);
        if (record) picked.set(key, record);
      }
    };
    const all = run.items.map((item) => item.index);
    for (let repeat = 0; repeat < auto.min && !judged.interrupted; repeat++) await judgeRepeat(repeat, all);
    // observed[model][item]: the scores of the repeats the item got so far.
    const observed = (): Array<Array<Array<number | null>>> => {
      const grid = scoreGrid(picked.values(), run.modelNames, run.items.length, run.repeats);
      return grid.map((items) => items.map((cells) => cells.filter((cell) => cell !== undefined).map((cell) => (typeof cell?.score === 'number' ? cell.score : null))));
    };
    let stopped: AutoStopReason = 'interrupted';
    let status: AutoRoundStatus = { pairs: [], ciWidths: [] };
    for (let repeat = auto.min; !judged.interrupted; repeat++) {
      const decision = decideAutoRound(observed(), run.modelNames, repeat, auto, aggregate, seed);
      status = decision.status;
      if ('stop' in decision) {
        stopped = decision.stop;
        break;
      }
      await judgeRepeat(repeat, decision.items);
    }
    if (judged.interrupted) {
      stopped = 'interrupted';
      status = autoRoundStatus(observed(), run.modelNames, aggregate, `${seed}/auto/final`);
    }
    // The results count only the judgments the decisions picked.
    state.done = picked;
    judged.auto = { stopped, itemsPerRepeat, status };
    const judgments = itemsPerRepeat.reduce((a, b) => a + b, 0);
    options.notify?.(`repeats auto: stopped after ${itemsPerRepeat.length} repeat${itemsPerRepeat.length === 1 ? '' : 's'} (${judgments} judgments; ${itemsPerRepeat.join(', ')} items per repeat) because ${AUTO_STOP_EXPLANATIONS[stopped]}.`);
    return judged;
  }

  /** Judges the given (repeat, item) pairs, appending each judgment as it comes. */
  async judgeList(log: JsonlLog<JudgmentRecord>, options: JudgeRunOptions, run: PreparedRun, judged: Judged, todo: ReadonlyArray<{ repeat: number; index: number }>, label: string): Promise<void> {
    const judge = options.judge;
    const state = judged.state;
    const progress = new Progress({ label, total: todo.length, unit: 'judgments', status: () => options.calls?.limitStatus(), ...(options.progress ?? {}) });
    const appends: Array<Promise<void>> = [];
    await mapConcurrent(todo, options.itemsInFlight ?? 6, async ({ repeat, index }) => {
      if (options.signal?.aborted) {
        judged.interrupted = true;
        return;
      }
      const result = await judge.scoreItem(run.inputs(repeat, index));
      // A judgment cut short by the user is not a verdict: leave it out of the log so a rerun does it.
      if (options.signal?.aborted && result.scores.some((score) => score.score === null)) {
        judged.interrupted = true;
        return;
      }
      const key = judgmentKey(run.judgeName, repeat, index);
      const record = judgmentRecord(run, judge, repeat, index, result);
      // Appends are serialised by the log; the lane moves on to its next item meanwhile.
      appends.push(log.append(key, record).then(() => progress.tick()));
      state.done.set(key, record);
      judged.newJudgments++;
    });
    const written = await Promise.allSettled(appends);
    progress.finish();
    const failedAppend = written.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failedAppend) {
      throw new JudgekitError('run-store', `Cannot append to ${log.path}: ${(failedAppend.reason as Error)?.message ?? String(failedAppend.reason)}. Check the disk and permissions, then rerun: finished judgments are kept.`, { file: log.path, cause: failedAppend.reason });
    }
  }

  /** Per-model scores with bootstrap intervals, and the Markdown table. */
  summarize(options: JudgeRunOptions, run: PreparedRun, state: LogState, aggregate: AggregateRule, judged?: Judged): Summarized {
    const judge = options.judge;
    const seed = options.seed ?? 123;
    const grid = scoreGrid(state.done.values(), run.modelNames, run.items.length, run.repeats);
    // Auto repeats: an item has only the repeats it was picked for; a repeat it never got is not a failure.
    const cellsOf = (m: number): ReadonlyArray<ReadonlyArray<ModelScore | undefined>> => (run.auto ? (grid[m] ?? []).map((cells) => cells.filter((cell) => cell !== undefined)) : (grid[m] ?? []));
    const rows: ResultsRow[] = options.answers.map((model, m) => ({ name: model.name, ...summarizeModel(cellsOf(m), aggregate, seed) }));
    const lenientScores = grid.flat(2).filter((cell) => cell?.lenient === true).length;
    const stability = judgeStability(grid, seed);
    // Pairwise judges: verdict flips between repeats, from the comparisons themselves.
    const verdictFlips = pairwiseVerdictFlips([...state.done.values()], run.items.map((item) => item.index), seed);
    const expected = expectedScores(grid, seed);
    const repeatsUsed = run.auto ? (judged?.auto?.itemsPerRepeat.length ?? 0) : run.repeats;
    const autoRecord: AutoRepeatsRecord | undefined =
      run.auto && judged?.auto
        ? {
            settings: run.auto,
            stopped: judged.auto.stopped,
            explanation: AUTO_STOP_EXPLANATIONS[judged.auto.stopped],
            repeats: judged.auto.itemsPerRepeat.length,
            itemsPerRepeat: judged.auto.itemsPerRepeat,
            judgments: judged.auto.itemsPerRepeat.reduce((a, b) => a + b, 0),
            pairs: judged.auto.status.pairs,
            ciWidths: Object.fromEntries(run.modelNames.map((name, m) => [name, judged.auto?.status.ciWidths[m] ?? Number.NaN])),
          }
        : undefined;
    const results: RunResults = {
      models: rows.map((row, m) => {
        const e = expected[m];
        return { ...row, ...(e ? { expected: e } : {}), judges: { [run.judgeName]: { score: row.score, ci95: row.ci95, scored: row.scored, failed: row.failed, ...(e ? { expected: e } : {}) } } };
      }),
      judges: [
        {
          name: run.judgeName,
          mode: judge.mode,
          provider: judge.description.provider,
          model: judge.description.model,
          aggregate,
          repeats: repeatsUsed,
          lenientScores,
          ...(stability ? { stability } : {}),
          ...(verdictFlips ? { verdictFlips } : {}),
          ...(autoRecord ? { autoRepeats: autoRecord } : {}),
        },
      ],
      items: run.items.length,
    };
    const expectedJudgments = autoRecord ? autoRecord.judgments : run.items.length * run.repeats;
    const who = judge.description.provider === 'none' ? ` (${judge.description.model})` : ` ${judge.description.provider}:${judge.description.model}`;
    const heading = `Judge \`${run.judgeName}\`: ${judge.mode}${who}; ${run.items.length} items; ${run.auto ? `repeats auto (${repeatsUsed} used, at most ${run.auto.max})` : `${run.repeats} repeat${run.repeats === 1 ? '' : 's'}`}; aggregate ${aggregate}${lenientScores > 0 ? `; ${lenientScores} score${lenientScores === 1 ? '' : 's'} read from replies only the lenient parser accepts` : ''}${state.done.size < expectedJudgments ? `; INCOMPLETE: ${state.done.size}/${expectedJudgments} judgments` : ''}`;
    const extra = formatStabilityMarkdown({
      ...(stability ? { stability } : {}),
      ...(verdictFlips ? { verdictFlips } : {}),
      ...(autoRecord ? { autoRepeats: autoRecord } : {}),
      expected: rows.map((row, m) => ({ name: row.name, sampled: row.score, expected: expected[m] })),
    });
    // Pairwise judges: Bradley-Terry scores, win rates, position consistency and length control beside the win shares.
    const pairwise = summarizePairwise([...state.done.values()], run.judgeName, options.answers, run.items.map((item) => item.index), seed);
    if (pairwise) results.pairwise = { [run.judgeName]: pairwise.results };
    // Annotated files of an auto run list the repeats each item got, not the ones it was never picked for.
    const annotated = run.auto ? grid.map((_, m) => cellsOf(m).map((cells) => [...cells])) : grid;
    return { grid: annotated, rows, results, markdown: formatResultsMarkdown(rows, heading) + extra + (pairwise?.markdown ?? '') };
  }

  /** Annotated answer files and results.json/.md/.csv. */
  async writeResults(store: RunStore, options: JudgeRunOptions, summary: Summarized): Promise<string[]> {
    const files: string[] = [];
    for (const [m, model] of options.answers.entries()) {
      const path = store.path(`${annotatedStem(model)}-annotated.json`);
      await writeJsonAtomic(path, annotateRecords(model, summary.grid[m] ?? [], options.judge.description));
      files.push(path);
    }
    await writeJsonAtomic(store.file('results'), summary.results);
    await writeFileAtomic(store.file('resultsMarkdown'), summary.markdown);
    await writeFileAtomic(store.file('resultsCsv'), formatResultsCsv(summary.rows));
    return [...files, store.file('results'), store.file('resultsMarkdown'), store.file('resultsCsv')];
  }

  /** `run.json` through the store: what was judged, how, with which versions, at what cost; sessions accumulate. */
  async writeRunRecord(store: RunStore, options: JudgeRunOptions, run: PreparedRun, state: LogState, parts: { aggregate: AggregateRule; price: ModelPrice | undefined; session: { id: string; startedAt: string; finishedAt: string; wallMs: number; calls: CallStats | null; costUsd: number | null }; spent?: Map<string, SessionSpend> }): Promise<string> {
    const { judge } = options;
    const { aggregate, price, session } = parts;
    const totals = judgmentTotals(state.done.values());
    const sessions = [...(await readPreviousSessions(store.file('run'))), session];
    // Sessions that were killed wrote no run.json, but their requests are in spend.jsonl: add them. So do the
    // downloads of provider batches (`--execution batch-api`), which are written under a session of their own.
    const spent = parts.spent ?? (await SpendLog.read(store.file('spend')));
    const known = new Set(sessions.map((entry) => (entry as { id?: unknown }).id));
    for (const [id, paid] of spent) {
      if (known.has(id)) continue;
      const batchOnly = paid.discounted?.reduce((sum, part) => sum + part.requests, 0) === paid.requests;
      sessions.splice(sessions.length - 1, 0, { id, ...(batchOnly ? { execution: 'batch-api' } : { killed: true }), spend: paid, costUsd: price ? spendCostUsd(paid, price) : null });
    }
    const allSpend = totalSpend(spent.values());
    const batch = batchSpendSummary(allSpend, price);
    return store.writeRunRecord({
      tool: 'judgekit',
      command: 'judge',
      judge: { name: run.judgeName, ...judge.description, aggregate, repeats: run.auto ? 'auto' : run.repeats, ...(run.auto ? { autoRepeats: run.auto } : {}) },
      options: options.config ?? {},
      template: typeof options.template === 'object' ? options.template : (options.template ?? 'book'),
      seeds: { bootstrap: options.seed ?? 123, order: judge.description.orderSeed ?? null, sampling: judge.description.seed ?? null },
      packages: await packageVersions(options.provider),
      dataset: { items: run.items.length, models: run.modelNames, ...(await datasetChecksums(options.answers)) },
      timings: { startedAt: session.startedAt, finishedAt: session.finishedAt, wallMs: session.wallMs },
      // `spent`: every request of every session of this run directory, killed ones included (from spend.jsonl).
      calls: { session: session.calls, judgments: totals, spent: { requests: allSpend.requests, failed: allSpend.failed } },
      tokens: { session: session.calls?.tokenUsage ?? { prompt: 0, completion: 0 }, judgments: totals.tokenUsage, spent: allSpend.tokenUsage },
      cost: {
        currency: 'USD',
        price: price ?? null,
        session: session.costUsd,
        // Provider batches' requests at the batch price (`batch`), the others at the list price.
        spent: price ? spendCostUsd(allSpend, price) : allSpend.requests === 0 ? 0 : null,
        ...(batch ? { batch } : {}),
        judgments: price ? costUsd(totals.tokenUsage, price) : totals.calls === 0 ? 0 : null,
        note: price ? `estimate from list prices per 1M tokens${batch ? `, provider batches at ${batch.priceFactor * 100}% of them` : ''}; see --prices` : judge.description.provider === 'none' ? 'no calls' : 'no price known for this model; pass --prices <file>',
      },
      sessions,
    });
  }
}

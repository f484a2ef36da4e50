// `--execution batch-api`: a judge run's calls sent as provider batches (half price, outside the live rate limits)
// before the normal judge path runs. Each round runs the judge over the judgments still to do with a call runner
// that answers from the cache and collects every call the cache lacks (first asks, then re-asks after an unusable
// reply, whatever the mode); those calls go out as batches within the provider's limits, their ids are written to
// `batches.json` in the run directory before any polling, and their replies go into the same cache under the same
// keys. When no call is missing, `JudgeRunner.run` answers every call from the cache and writes the usual records.
// A killed process, rerun, polls the batches it recorded instead of submitting their requests again.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChatModelProvider, ChatRequest, ChatResponse, TokenUsage } from '../../contracts/chat-model-provider.js';
import { isBatchCapable, splitIntoBatches, type BatchCapableProvider, type BatchInfo, type BatchLimits, type BatchRequest } from '../../contracts/batch-provider.js';
import type { ChatCallContext } from '../../contracts/judge-factory.js';
import { JudgekitError } from '../../errors.js';
import type { KeyValueCache } from '../../run/disk-cache.js';
import { runFile } from '../../run/run-directory.js';
import { writeJsonAtomic } from '../../util/atomic-write.js';
import { canonicalHash } from '../../util/canonical-hash.js';
import { mapConcurrent } from '../../util/concurrency.js';
import { callCacheKey, type CallOutcome } from './judge-call-runner.js';
import { pendingJudgeInputs, type JudgeRunOptions } from './judge-runner.js';
import { costUsd, DEFAULT_PRICES, findPrice, type ModelPrice } from './price-table.js';
import { SpendLog } from './spend-log.js';
import { abortableSleep } from '../../util/abortable-sleep.js';

/** Provider batches cost this much of the live list price (OpenAI and Anthropic: 50%). */
export const BATCH_PRICE_FACTOR = 0.5;

export const BATCH_FAILED_POLICIES = ['batch', 'live'] as const;
/** What happens to a request that failed or expired inside a batch: a follow-up batch, or a live call. */
export type BatchFailedPolicy = (typeof BATCH_FAILED_POLICIES)[number];

export const BATCHES_FILE = 'batches.json';

export function batchPrice(price: ModelPrice): ModelPrice {
  return { input: price.input * BATCH_PRICE_FACTOR, output: price.output * BATCH_PRICE_FACTOR };
}

/** One provider batch of a run, as `batches.json` records it. `keys` are the calls' cache keys (also their custom ids). */
export interface BatchEntry {
  /** The provider's batch id; absent while the batch is being submitted. */
  id?: string;
  provider: string;
  /** Which round of the run (0: first asks; later: re-asks and follow-ups). */
  round: number;
  /** Index of the batch within its round. */
  chunk: number;
  /** Sent with the batch where the provider keeps metadata (unique: it names the chunk's content), to find it again. */
  label: string;
  keys: string[];
  status: string;
  done: boolean;
  /** Results are in the cache. */
  downloaded: boolean;
  submittedAt?: string;
  succeeded: number;
  /** Cache keys of the requests that failed, expired or were cancelled. */
  failed: string[];
  tokenUsage: TokenUsage;
  error?: string;
}

export interface BatchState {
  version: 1;
  /** The endpoint the batches went to (provider id and cache identity), so another endpoint's batches are not polled. */
  endpoint: string;
  batches: BatchEntry[];
}

export interface BatchExecutionOptions {
  /** The options the JudgeRunner will get (answers, judge, outDir, calls, provider...). */
  run: JudgeRunOptions;
  /** The judge's call cache (where replies go). */
  cache: KeyValueCache;
  /** Default `batch`. */
  failed?: BatchFailedPolicy;
  /** Batch rounds at most (first asks, re-asks, follow-ups); what is missing after them is called live. Default 4. */
  maxRounds?: number;
  /** Between polls. Default 30 s. */
  pollMs?: number;
  /** Smaller limits than the provider's (e.g. to see work split into several batches). */
  limits?: Partial<BatchLimits>;
  notify?: (message: string) => void;
  signal?: AbortSignal;
  /** For tests: how to wait. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface BatchExecutionSummary {
  rounds: number;
  /** Batches submitted by this session, and over the run. */
  submitted: number;
  batches: number;
  requests: number;
  succeeded: number;
  failed: number;
  tokenUsage: TokenUsage;
  price: ModelPrice | null;
  costUsd: number | null;
  /** Calls still missing from the cache: the judge path makes them live. */
  leftForLive: number;
  interrupted: boolean;
}

interface CachedReply {
  output: string;
  tokenUsage: TokenUsage;
  latencyMs: number;
  /** Token log-probabilities, when the request asked for them (judges with `logprobs: true`). */
  logprobs?: ChatResponse['logprobs'];
}

function endpointOf(provider: ChatModelProvider): string {
  return canonicalHash({ provider: provider.id, endpoint: provider.cacheIdentity }).slice(0, 16);
}

export function batchesFile(runDir: string): string {
  return join(runDir, BATCHES_FILE);
}

/** The run directory's batches.json, or undefined when it has none. */
export async function readBatchState(runDir: string): Promise<BatchState | undefined> {
  const path = batchesFile(runDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new JudgekitError('run-store', `Cannot read ${path}: ${(error as Error).message}.`, { file: path, cause: error });
  }
  let state: BatchState;
  try {
    state = JSON.parse(text) as BatchState;
  } catch (error) {
    throw new JudgekitError('run-store', `${path} is not JSON (${(error as Error).message}): it records the run's provider batches; check them with the provider before deleting it.`, { file: path, cause: error });
  }
  if (state?.version !== 1 || !Array.isArray(state.batches)) throw new JudgekitError('run-store', `${path}: field "version" must be 1 and "batches" an array.`, { file: path });
  return state;
}


interface Missing {
  key: string;
  request: ChatRequest;
}

/**
 * Runs the judge over every pending judgment with its call runner answering from the cache only: each call the
 * cache lacks is collected (once per key) and answered as a failure, so a judge asks no further for that item.
 */
async function collectMissing(options: BatchExecutionOptions, exclude: ReadonlySet<string>): Promise<Missing[]> {
  const { run, cache } = options;
  const calls = run.calls as unknown as { complete: (provider: ChatModelProvider, request: ChatRequest, context: ChatCallContext) => Promise<CallOutcome> } | undefined;
  if (!calls) throw new JudgekitError('usage', 'batch-api execution needs the judge call runner (options.calls).');
  const missing = new Map<string, Missing>();
  const collect = async (provider: ChatModelProvider, request: ChatRequest, context: ChatCallContext): Promise<CallOutcome> => {
    const key = callCacheKey(provider, request, context);
    const hit = await cache.get<CachedReply>(key);
    if (hit) return { output: hit.output, tokenUsage: hit.tokenUsage, latencyMs: hit.latencyMs, cached: true, requests: 0 };
    if (!exclude.has(key) && !missing.has(key)) {
      const { signal: _signal, ...plain } = request;
      missing.set(key, { key, request: plain });
    }
    return { error: { kind: 'aborted', message: 'sent to a provider batch' }, tokenUsage: { prompt: 0, completion: 0 }, latencyMs: 0, requests: 0 };
  };
  // The judge holds this call runner: answer its calls from here while collecting, then give it back.
  Object.defineProperty(calls, 'complete', { value: collect, configurable: true, writable: true });
  try {
    const inputs = await pendingJudgeInputs(run);
    await mapConcurrent(inputs, 8, async (input) => {
      const { signal: _signal, ...quiet } = input;
      await run.judge.scoreItem(quiet);
    });
  } finally {
    delete (calls as { complete?: unknown }).complete;
  }
  return [...missing.values()];
}

function resolveLimits(provider: BatchCapableProvider, limits: Partial<BatchLimits> | undefined): BatchLimits {
  return {
    maxRequests: Math.min(provider.batch.limits.maxRequests, limits?.maxRequests ?? Infinity),
    maxBytes: Math.min(provider.batch.limits.maxBytes, limits?.maxBytes ?? Infinity),
  };
}

/** Sends the run's missing calls as provider batches until none is missing (or the round limit); see the file comment. */
export async function executeBatches(options: BatchExecutionOptions): Promise<BatchExecutionSummary> {
  const { run } = options;
  const provider = run.provider;
  // A judge that calls no model (reference) has nothing to send.
  if (!provider && run.judge.description.provider === 'none') return summarize({ version: 1, endpoint: '', batches: [] }, 0, 0, false, run);
  if (!isBatchCapable(provider)) {
    throw new JudgekitError('usage', `--execution batch-api: provider "${provider?.id ?? run.judge.description.provider}" has no batch API (built in: openai, anthropic).`);
  }
  const notify = options.notify ?? (() => undefined);
  const sleep = options.sleep ?? abortableSleep;
  const pollMs = options.pollMs ?? 30_000;
  const maxRounds = options.maxRounds ?? 4;
  const policy = options.failed ?? 'batch';
  const limits = resolveLimits(provider, options.limits);
  const path = batchesFile(run.outDir);
  const endpoint = endpointOf(provider);
  const state: BatchState = (await readBatchState(run.outDir)) ?? { version: 1, endpoint, batches: [] };
  if (state.endpoint !== endpoint && state.batches.some((entry) => !entry.downloaded)) {
    throw new JudgekitError('usage', `${path} holds batches of another endpoint that are not downloaded yet: rerun with the judge and base URL that submitted them, or cancel them with \`judgekit batches ${run.outDir} --cancel\`.`, { file: path });
  }
  state.endpoint = endpoint;
  const save = (): Promise<void> => writeJsonAtomic(path, state);
  // Every downloaded result goes to spend.jsonl at the batch price, keyed by batch and custom id: a result downloaded
  // again after a kill (before batches.json said `downloaded`) is not counted twice.
  const spend = new SpendLog(runFile(run.outDir, 'spend'), `${new Date().toISOString()} pid ${process.pid} batch-api`);
  let spendFailureTold = false;
  let submitted = 0;
  let interrupted = false;

  const wait = async (): Promise<boolean> => {
    try {
      await sleep(pollMs, options.signal);
      return true;
    } catch {
      interrupted = true;
      return false;
    }
  };

  const download = async (entry: BatchEntry): Promise<void> => {
    const results = await provider.batch.results(entry.id as string);
    const wanted = new Set(entry.keys);
    const answered = new Set<string>();
    const paid = results.filter((result) => wanted.has(result.customId));
    // Recorded before the replies are cached and the batch marked downloaded, so a kill in between loses no spend.
    await spend.appendAll(paid.map((result) => ({ requests: 1, failed: result.response.error ? 1 : 0, tokenUsage: result.response.tokenUsage, priceFactor: BATCH_PRICE_FACTOR, key: `batch ${entry.id} ${result.customId}` })));
    if (spend.failure && !spendFailureTold) notify(`cannot record the spend of batch ${entry.id} in ${spend.path} (${spend.failure.message}); run.json's totals leave it out.`);
    spendFailureTold ||= spend.failure !== undefined;
    for (const result of paid) {
      const usage = result.response.tokenUsage;
      entry.tokenUsage.prompt += usage.prompt;
      entry.tokenUsage.completion += usage.completion;
      if (result.response.error) continue;
      answered.add(result.customId);
      await options.cache.set<CachedReply>(result.customId, { output: result.response.output ?? '', tokenUsage: usage, latencyMs: result.response.latencyMs, ...(result.response.logprobs ? { logprobs: result.response.logprobs } : {}) });
    }
    entry.succeeded = answered.size;
    entry.failed = entry.keys.filter((key) => !answered.has(key));
    entry.downloaded = true;
    await save();
  };

  /** Polls until every entry is done and downloaded; false when interrupted. */
  const settle = async (entries: BatchEntry[]): Promise<boolean> => {
    for (;;) {
      for (const entry of entries) {
        if (entry.downloaded || !entry.id) continue;
        const info: BatchInfo = await provider.batch.retrieve(entry.id);
        const changed = info.status !== entry.status;
        entry.status = info.status;
        entry.done = info.done;
        if (info.error) entry.error = info.error;
        if (info.done) {
          await download(entry);
          notify(`batch ${entry.id} ${info.status}: ${entry.succeeded} of ${entry.keys.length} requests answered.`);
        } else if (changed) await save();
      }
      if (entries.every((entry) => entry.downloaded || !entry.id)) return true;
      if (!(await wait())) return false;
    }
  };

  // A batch recorded without an id was being submitted when a process died: it may exist at the provider. Where the
  // provider keeps the label, it is found and adopted; otherwise its requests are submitted again.
  for (const entry of state.batches) {
    if (entry.id || !provider.batch.find) continue;
    const found = await provider.batch.find(entry.label);
    if (!found) continue;
    entry.id = found.id;
    entry.status = found.status;
    notify(`batch ${found.id} (${entry.label}) was created just before the last process stopped: found by its label, not submitted again.`);
    await save();
  }
  const orphans = state.batches.filter((entry) => !entry.id);
  if (orphans.length > 0) {
    notify(`${orphans.length} batch${orphans.length === 1 ? ' was' : 'es were'} being submitted when the last process stopped; their requests are submitted again (check \`judgekit batches ${run.outDir}\` and the provider's console for a duplicate).`);
    state.batches = state.batches.filter((entry) => entry.id);
    await save();
  }
  const resumed = state.batches.filter((entry) => !entry.downloaded);
  if (resumed.length > 0) {
    notify(`resuming ${resumed.length} provider batch${resumed.length === 1 ? '' : 'es'} recorded in ${path}.`);
    if (!(await settle(resumed))) return summarize(state, submitted, 0, true, run);
  }

  let leftForLive = 0;
  // Rounds of this session (the round numbers in batches.json go on from earlier sessions').
  for (let sessionRound = 0; ; sessionRound++) {
    // With `--batch-failed live`, a request that failed inside a batch is left to the live path.
    const exclude = new Set(policy === 'live' ? state.batches.flatMap((entry) => entry.failed) : []);
    const missing = await collectMissing(options, exclude);
    const round = state.batches.reduce((max, entry) => Math.max(max, entry.round + 1), 0);
    if (missing.length === 0) break;
    if (sessionRound >= maxRounds) {
      leftForLive = missing.length;
      notify(`${missing.length} call${missing.length === 1 ? '' : 's'} still unanswered after ${maxRounds} batch rounds: made live.`);
      break;
    }
    if (options.signal?.aborted) {
      interrupted = true;
      break;
    }
    const requests: BatchRequest[] = missing.map((call) => ({ customId: call.key, request: call.request }));
    const chunks = splitIntoBatches(requests, (request) => provider.batch.encodedSize(request), limits);
    const entries: BatchEntry[] = [];
    for (const [chunk, part] of chunks.entries()) {
      const keys = part.map((request) => request.customId);
      const label = `judgekit ${run.judgeName ?? run.judge.mode} round ${round} chunk ${chunk} ${canonicalHash(keys).slice(0, 16)}`;
      const entry: BatchEntry = { provider: provider.id, round, chunk, label, keys, status: 'submitting', done: false, downloaded: false, succeeded: 0, failed: [], tokenUsage: { prompt: 0, completion: 0 } };
      // Recorded before it is submitted and again with its id right after, before any polling.
      state.batches.push(entry);
      await save();
      const info = await provider.batch.submit(part, { label });
      entry.id = info.id;
      entry.status = info.status;
      entry.submittedAt = new Date().toISOString();
      await save();
      submitted++;
      entries.push(entry);
    }
    notify(`round ${round}: ${requests.length} call${requests.length === 1 ? '' : 's'} submitted in ${chunks.length} batch${chunks.length === 1 ? '' : 'es'} (${entries.map((entry) => entry.id).join(', ')}); polling every ${pollMs >= 1000 ? `${Math.round(pollMs / 1000)} s` : `${pollMs} ms`}. Batches take up to 24 h; an interrupted run resumes them when rerun.`);
    if (!(await settle(entries))) break;
  }
  return summarize(state, submitted, leftForLive, interrupted, run);
}

function summarize(state: BatchState, submitted: number, leftForLive: number, interrupted: boolean, run: JudgeRunOptions): BatchExecutionSummary {
  const tokenUsage = { prompt: 0, completion: 0 };
  let requests = 0;
  let succeeded = 0;
  let failed = 0;
  for (const entry of state.batches) {
    requests += entry.keys.length;
    succeeded += entry.succeeded;
    failed += entry.downloaded ? entry.failed.length : 0;
    tokenUsage.prompt += entry.tokenUsage.prompt;
    tokenUsage.completion += entry.tokenUsage.completion;
  }
  const live = findPrice(run.prices ?? DEFAULT_PRICES, run.judge.description.provider, run.judge.description.model);
  const price = live ? batchPrice(live) : null;
  return {
    rounds: state.batches.reduce((max, entry) => Math.max(max, entry.round + 1), 0),
    submitted,
    batches: state.batches.length,
    requests,
    succeeded,
    failed,
    tokenUsage,
    price,
    costUsd: price ? costUsd(tokenUsage, price) : requests === 0 ? 0 : null,
    leftForLive,
    interrupted,
  };
}

/** The batches a run directory records, as the provider sees them now (`judgekit batches`). */
export async function listRunBatches(runDir: string, provider?: BatchCapableProvider): Promise<Array<BatchEntry & { live?: BatchInfo }>> {
  const state = await readBatchState(runDir);
  if (!state) return [];
  const entries: Array<BatchEntry & { live?: BatchInfo }> = [];
  for (const entry of state.batches) {
    entries.push(provider && entry.id && entry.provider === provider.id ? { ...entry, live: await provider.batch.retrieve(entry.id) } : { ...entry });
  }
  return entries;
}

/** Cancels every batch of the run that is not done; returns what the provider said. */
export async function cancelRunBatches(runDir: string, provider: BatchCapableProvider): Promise<BatchInfo[]> {
  const state = await readBatchState(runDir);
  if (!state) return [];
  const cancelled: BatchInfo[] = [];
  for (const entry of state.batches) {
    if (!entry.id || entry.done || entry.provider !== provider.id) continue;
    const info = await provider.batch.cancel(entry.id);
    entry.status = info.status;
    cancelled.push(info);
  }
  // batches.json is left to the judge run that owns it: its next poll (or a rerun) records the new status.
  return cancelled;
}

/** `judges[].batch` in a study config, or the `--batch-*` flags. */
export interface BatchSettings {
  failed?: BatchFailedPolicy;
  pollMs?: number;
  maxRounds?: number;
  maxRequests?: number;
  maxBytes?: number;
}

/** `executeBatches` with a judge's batch settings. */
export function executeBatchesWith(run: JudgeRunOptions, cache: KeyValueCache, settings: BatchSettings = {}, extra: Pick<BatchExecutionOptions, 'notify' | 'signal'> = {}): Promise<BatchExecutionSummary> {
  return executeBatches({
    run,
    cache,
    ...(settings.failed ? { failed: settings.failed } : {}),
    ...(settings.pollMs !== undefined ? { pollMs: settings.pollMs } : {}),
    ...(settings.maxRounds !== undefined ? { maxRounds: settings.maxRounds } : {}),
    limits: { ...(settings.maxRequests !== undefined ? { maxRequests: settings.maxRequests } : {}), ...(settings.maxBytes !== undefined ? { maxBytes: settings.maxBytes } : {}) },
    ...extra,
  });
}

/** What run.json records of a run's batches (`options.batch`): counts, tokens, the batch price and cost. */
export function batchRunRecord(summary: BatchExecutionSummary): Record<string, unknown> {
  return {
    execution: 'batch-api',
    file: BATCHES_FILE,
    batches: summary.batches,
    rounds: summary.rounds,
    requests: summary.requests,
    succeeded: summary.succeeded,
    failed: summary.failed,
    leftForLive: summary.leftForLive,
    tokens: summary.tokenUsage,
    priceFactor: BATCH_PRICE_FACTOR,
    price: summary.price,
    costUsd: summary.costUsd,
  };
}

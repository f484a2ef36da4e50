// The coordinator side of `judgekit judge --queue`: a Judge that JudgeRunner drives exactly as in-process, whose
// scoreItem gathers items into units (one repeat, a range of items), enqueues them under deterministic job ids and
// answers each item from the unit's result once a worker has made it. The run directory (judgments log, results,
// run.json) is written by JudgeRunner as always.
import { Job, Queue, QueueEvents } from 'bullmq';
import { JudgekitError, type Judge, type JudgeItemInput, type JudgeItemResult } from '@judgekit/core';
import { assertRedisReachable, displayQueueUrl, JUDGE_QUEUE, redisConnection } from './connection.js';
import { JUDGE_UNIT_VERSION, judgeUnitJobId, type JudgeUnitData, type JudgeUnitResult } from './judge-units.js';
import type { UnitSpend } from './unit-spend.js';

export interface JudgeCoordinatorOptions {
  /** `redis://host:port`. */
  url: string;
  /** Everything of a unit but its repeat and items. */
  unit: Omit<JudgeUnitData, 'kind' | 'version' | 'repeat' | 'indices'>;
  /** Items per unit. Default 25. */
  unitSize?: number;
  signal?: AbortSignal;
  notify?: (message: string) => void;
  /**
   * Told of each finished unit's spend, once per unit in this session, before its items are answered (so it is
   * recorded before their judgments are logged). `judgekit judge --queue` writes it to spend.jsonl, keyed by unit id.
   */
  onUnitSpend?: (unit: { id: string; results: JudgeItemResult[]; spend: UnitSpend }) => Promise<void> | void;
  /** How often the live workers are counted (and, every fifth time, unfinished units looked up in case an event was missed). Default 2 s. */
  pollMs?: number;
}

interface Waiter {
  input: JudgeItemInput;
  resolve: (result: JudgeItemResult) => void;
  reject: (error: unknown) => void;
}

interface Unit {
  id: string;
  data: JudgeUnitData;
  waiters: Waiter[];
  settled: boolean;
}

/** What a judgment cut short looks like: no scores, an `aborted:` failure (JudgeRunner leaves it out of the log). */
function abortedResult(input: JudgeItemInput): JudgeItemResult {
  return { index: input.index, repeat: input.repeat, scores: input.answers.map((answer) => ({ model: answer.model, score: null, failure: 'aborted: the coordinator was stopped' })), calls: 0, cachedCalls: 0, tokenUsage: { prompt: 0, completion: 0 }, attempts: 0 };
}

export class JudgeQueueCoordinator {
  readonly queue: Queue;
  readonly events: QueueEvents;
  readonly #options: JudgeCoordinatorOptions;
  readonly #unitSize: number;
  readonly #buffer = new Map<string, Waiter[]>();
  readonly #units = new Map<string, Unit>();
  #flushScheduled = false;
  #done = 0;
  #reattached = 0;
  #workers = 0;
  #poller: NodeJS.Timeout | undefined;
  #closed = false;
  #polls = 0;
  #toldNoSpend = false;
  /** What the workers report for the units of this session: calls made and answered by the cache, tokens. */
  readonly workerTotals = { calls: 0, cachedCalls: 0, tokenUsage: { prompt: 0, completion: 0 } };
  /** Time spent enqueueing and reading back units (the coordinator's own overhead), ms. */
  overheadMs = 0;

  private constructor(options: JudgeCoordinatorOptions) {
    this.#options = options;
    this.#unitSize = options.unitSize ?? 25;
    const connection = redisConnection(options.url);
    this.queue = new Queue(JUDGE_QUEUE, { connection });
    this.events = new QueueEvents(JUDGE_QUEUE, { connection });
    // Connection errors repeat while ioredis reconnects: keep the last one for messages instead of printing each.
    this.queue.on('error', (error) => (this.lastError = error.message));
    this.events.on('error', (error) => (this.lastError = error.message));
  }

  /** The last connection error, if any. */
  lastError = '';

  /** Connect and listen for finished units before any is enqueued. */
  static async open(options: JudgeCoordinatorOptions): Promise<JudgeQueueCoordinator> {
    await assertRedisReachable(options.url);
    const coordinator = new JudgeQueueCoordinator(options);
    await Promise.all([coordinator.queue.waitUntilReady(), coordinator.events.waitUntilReady()]);
    coordinator.events.on('completed', ({ jobId }) => void coordinator.#check(jobId, 'event'));
    coordinator.events.on('failed', ({ jobId }) => void coordinator.#check(jobId, 'event'));
    coordinator.#poller = setInterval(() => void coordinator.#poll(), options.pollMs ?? 2_000);
    options.signal?.addEventListener('abort', () => coordinator.#abortAll(), { once: true });
    return coordinator;
  }

  /** A judge with `judge`'s mode and description whose items are made by workers. */
  remote(judge: Judge): Judge {
    return {
      mode: judge.mode,
      description: judge.description,
      scoreItem: (input) => this.#scoreItem(input),
    };
  }

  get unitsTotal(): number {
    return this.#units.size;
  }

  get unitsDone(): number {
    return this.#done;
  }

  /** For the progress line: `units 3/20 | 3 workers`. */
  status(): string {
    const reattached = this.#reattached > 0 ? `, ${this.#reattached} reattached` : '';
    return `units ${this.#done}/${this.#units.size}${reattached} | ${this.#workers} worker${this.#workers === 1 ? '' : 's'}`;
  }

  /** Remove this session's finished units from Redis (their judgments are in the run directory now). */
  async forgetFinished(): Promise<void> {
    for (const unit of this.#units.values()) {
      if (unit.settled) await this.queue.remove(unit.id).catch(() => 0);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#poller) clearInterval(this.#poller);
    await Promise.allSettled([this.events.close(), this.queue.close()]);
  }

  #scoreItem(input: JudgeItemInput): Promise<JudgeItemResult> {
    if (this.#options.signal?.aborted) return Promise.resolve(abortedResult(input));
    return new Promise((resolve, reject) => {
      // JudgeRunner starts every item lane in the same tick: gather them and cut units once they are all in.
      const key = `${input.repeat}:${Math.floor(input.index / this.#unitSize)}`;
      const waiters = this.#buffer.get(key) ?? [];
      waiters.push({ input, resolve, reject });
      this.#buffer.set(key, waiters);
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#flushScheduled = false;
    const groups = [...this.#buffer.values()];
    this.#buffer.clear();
    for (const waiters of groups) {
      waiters.sort((a, b) => a.input.index - b.input.index);
      const data: JudgeUnitData = { kind: 'judge', version: JUDGE_UNIT_VERSION, ...this.#options.unit, repeat: (waiters[0] as Waiter).input.repeat, indices: waiters.map((waiter) => waiter.input.index) };
      const id = judgeUnitJobId(data);
      const existing = this.#units.get(id);
      if (existing && !existing.settled) {
        existing.waiters.push(...waiters);
        continue;
      }
      const unit: Unit = { id, data, waiters, settled: false };
      this.#units.set(id, unit);
      void this.#enqueue(unit);
    }
  }

  async #enqueue(unit: Unit): Promise<void> {
    const started = performance.now();
    try {
      // Same id as before a restart: BullMQ keeps the one job (waiting, active or finished) and adds nothing.
      await this.queue.add('judge', unit.data, {
        jobId: unit.id,
        attempts: 3,
        backoff: { type: 'exponential', delay: 1_000 },
        removeOnComplete: { age: 7 * 24 * 3600 },
        removeOnFail: { age: 7 * 24 * 3600 },
      });
      this.overheadMs += performance.now() - started;
      await this.#check(unit.id, 'enqueued');
    } catch (error) {
      this.#reject(unit, new JudgekitError('run-store', `Cannot enqueue a unit at ${displayQueueUrl(this.#options.url)}: ${(error as Error)?.message ?? String(error)}.`, { cause: error }));
    }
  }

  /** Look a unit's job up and settle the unit if it has finished. */
  async #check(id: string, why: 'enqueued' | 'event' | 'poll'): Promise<void> {
    const unit = this.#units.get(id);
    if (!unit || unit.settled || this.#closed) return;
    const started = performance.now();
    // The state first, then the job: read the other way round, a job that finishes in between looks finished
    // without its result.
    const state = await this.queue.getJobState(id).finally(() => (this.overheadMs += performance.now() - started));
    if (state === 'unknown') {
      // Removed meanwhile (its age ran out, or someone cleaned the queue): enqueue it again.
      if (why === 'poll') void this.#enqueue(unit);
      return;
    }
    if (state !== 'completed' && state !== 'failed') return;
    const fetched = performance.now();
    const job = await Job.fromId<JudgeUnitData, JudgeUnitResult>(this.queue, id);
    this.overheadMs += performance.now() - fetched;
    if (unit.settled || !job) return;
    if (state === 'completed') {
      if (why === 'enqueued') this.#reattached++;
      this.#settle(unit, job.returnvalue);
    } else {
      if (why === 'enqueued') {
        // Failed in an earlier session (a missing file, since fixed?): try it again rather than fail at once.
        this.#options.notify?.(`unit ${id} failed before (${job.failedReason}); retrying it.`);
        await job.retry('failed').catch(() => undefined);
        return;
      }
      const items = `${unit.data.indices[0]}-${unit.data.indices.at(-1)}`;
      this.#reject(unit, new JudgekitError('input', `A worker failed on unit ${id} (judge ${unit.data.judge.name}, repeat ${unit.data.repeat}, items ${items}): ${job.failedReason}`));
    }
  }

  async #poll(): Promise<void> {
    this.#polls++;
    try {
      this.#workers = await this.queue.getWorkersCount();
    } catch {
      // Redis is away for a moment: keep the last count.
    }
    // Events settle units; every fifth poll also looks each unfinished unit up, in case an event was missed.
    if (this.#polls % 5 !== 0) return;
    for (const unit of this.#units.values()) if (!unit.settled) await this.#check(unit.id, 'poll').catch(() => undefined);
  }

  #settle(unit: Unit, value: JudgeUnitResult | undefined): void {
    const results = new Map((value?.results ?? []).map((result) => [`${result.repeat}:${result.index}`, result]));
    const missing = unit.waiters.filter((waiter) => !results.has(`${waiter.input.repeat}:${waiter.input.index}`));
    if (missing.length > 0) {
      this.#reject(unit, new JudgekitError('internal', `Unit ${unit.id} came back without items ${missing.map((waiter) => waiter.input.index).join(', ')} (from ${value?.worker ?? 'an unknown worker'}).`));
      return;
    }
    unit.settled = true;
    this.#done++;
    for (const result of results.values()) {
      this.workerTotals.calls += result.calls;
      this.workerTotals.cachedCalls += result.cachedCalls;
      this.workerTotals.tokenUsage.prompt += result.tokenUsage.prompt;
      this.workerTotals.tokenUsage.completion += result.tokenUsage.completion;
    }
    const answer = (): void => {
      for (const waiter of unit.waiters) waiter.resolve(results.get(`${waiter.input.repeat}:${waiter.input.index}`) as JudgeItemResult);
    };
    const record = this.#options.onUnitSpend;
    if (!record) return answer();
    if (!value?.spend) {
      if (!this.#toldNoSpend) this.#options.notify?.(`unit ${unit.id} came back without its spend (a worker of an older judgekit?): run.json leaves its calls out.`);
      this.#toldNoSpend = true;
      return answer();
    }
    void Promise.resolve()
      .then(() => record({ id: unit.id, results: [...results.values()], spend: value.spend as UnitSpend }))
      .catch(() => undefined)
      .then(answer);
  }

  #reject(unit: Unit, error: unknown): void {
    if (unit.settled) return;
    unit.settled = true;
    for (const waiter of unit.waiters) waiter.reject(error);
  }

  #abortAll(): void {
    for (const unit of this.#units.values()) {
      if (unit.settled) continue;
      unit.settled = true;
      for (const waiter of unit.waiters) waiter.resolve(abortedResult(waiter.input));
    }
  }
}

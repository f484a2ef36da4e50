// Units of model work (`judgekit loss --queue`, ...): a second BullMQ queue whose workers run one unit at a time
// (each unit keeps the CPU or GPU busy), a coordinator that enqueues units under content job ids and waits for their
// results, and the worker loop that hands each unit to the handler of its kind.
import { hostname } from 'node:os';
import { Job, Queue, QueueEvents, UnrecoverableError, Worker } from 'bullmq';
import { JudgekitError } from '@judgekit/core';
import { assertRedisReachable, displayQueueUrl, queueTimings, redisConnection, type QueueTimings } from './connection.js';

/** Thrown by a handler, fails its unit at once (no retry): a missing file, a unit of another version. */
export { UnrecoverableError } from 'bullmq';

/** The BullMQ queue that carries loss and generation units. */
export const MODEL_QUEUE = 'judgekit-model';

export interface ModelUnitData {
  kind: string;
  version: number;
}

export interface ModelUnit<D extends ModelUnitData> {
  /** Content job id (same unit, same id, so a rerun reattaches to it). */
  id: string;
  data: D;
  /** For messages: `checkpoint tiny.safetensors, batches 0-3`. */
  describe: string;
}

export interface ModelCoordinatorOptions {
  url: string;
  signal?: AbortSignal;
  notify?: (message: string) => void;
  /** How often the live workers are counted. Default 2 s. */
  pollMs?: number;
}

/** The coordinator side: enqueue units, wait for each one's result. */
export class ModelQueueCoordinator {
  readonly queue: Queue;
  readonly events: QueueEvents;
  readonly #options: ModelCoordinatorOptions;
  #total = 0;
  #done = 0;
  #reattached = 0;
  #workers = 0;
  #poller: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #finished: string[] = [];
  /** Units waited for, told when the signal aborts: one listener on the signal, not one per unit (thousands in flight). */
  readonly #waiting = new Set<() => void>();
  readonly #onAbort = (): void => {
    for (const stop of this.#waiting) stop();
  };

  private constructor(options: ModelCoordinatorOptions) {
    this.#options = options;
    const connection = redisConnection(options.url);
    this.queue = new Queue(MODEL_QUEUE, { connection });
    this.events = new QueueEvents(MODEL_QUEUE, { connection });
    this.queue.on('error', () => undefined);
    this.events.on('error', () => undefined);
    // Every unit waited for adds a 'closing' listener on the queue (Job.waitUntilFinished): many units at once are expected.
    this.queue.setMaxListeners(0);
    this.events.setMaxListeners(0);
  }

  static async open(options: ModelCoordinatorOptions): Promise<ModelQueueCoordinator> {
    await assertRedisReachable(options.url);
    const coordinator = new ModelQueueCoordinator(options);
    await Promise.all([coordinator.queue.waitUntilReady(), coordinator.events.waitUntilReady()]);
    const count = async (): Promise<void> => {
      coordinator.#workers = await coordinator.queue.getWorkersCount().catch(() => coordinator.#workers);
    };
    await count();
    coordinator.#poller = setInterval(() => void count(), options.pollMs ?? 2_000);
    options.signal?.addEventListener('abort', coordinator.#onAbort, { once: true });
    return coordinator;
  }

  get unitsTotal(): number {
    return this.#total;
  }

  get unitsDone(): number {
    return this.#done;
  }

  /** `units 3/20 | 2 workers`, for progress lines. */
  status(): string {
    const reattached = this.#reattached > 0 ? `, ${this.#reattached} reattached` : '';
    return `units ${this.#done}/${this.#total}${reattached} | ${this.#workers} worker${this.#workers === 1 ? '' : 's'}`;
  }

  /** Enqueue a unit (or find it from an earlier session) and wait for its result. */
  async run<D extends ModelUnitData, R>(unit: ModelUnit<D>): Promise<R> {
    this.#total++;
    let job: Job<D, R>;
    try {
      // Same id as before a restart: BullMQ keeps the one job (waiting, active or finished) and adds nothing.
      job = await this.queue.add(unit.data.kind, unit.data, {
        jobId: unit.id,
        attempts: 3,
        backoff: { type: 'exponential', delay: 1_000 },
        removeOnComplete: { age: 7 * 24 * 3600 },
        removeOnFail: { age: 7 * 24 * 3600 },
      });
    } catch (error) {
      throw new JudgekitError('run-store', `Cannot enqueue a unit at ${displayQueueUrl(this.#options.url)}: ${(error as Error)?.message ?? String(error)}.`, { cause: error });
    }
    const state = await this.queue.getJobState(unit.id);
    if (state === 'completed') this.#reattached++;
    if (state === 'failed') {
      // Failed in an earlier session (a missing file, since fixed?): try it again rather than fail at once.
      const failed = await Job.fromId<D, R>(this.queue, unit.id);
      this.#options.notify?.(`unit ${unit.id} failed before (${failed?.failedReason ?? 'no reason recorded'}); retrying it.`);
      await failed?.retry('failed').catch(() => undefined);
    }
    let stop: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      stop = (): void => reject(new JudgekitError('usage', `Interrupted while unit ${unit.id} (${unit.describe}) was on the queue; run the same command again to reattach to it.`));
      if (this.#options.signal?.aborted) stop();
      else this.#waiting.add(stop);
    });
    aborted.catch(() => undefined);
    try {
      const result = (await Promise.race([job.waitUntilFinished(this.events), aborted])) as R;
      this.#done++;
      this.#finished.push(unit.id);
      return result;
    } catch (error) {
      if (this.#options.signal?.aborted) throw error;
      throw new JudgekitError('input', `A worker failed on unit ${unit.id} (${unit.describe}): ${(error as Error)?.message ?? String(error)}`, { cause: error });
    } finally {
      if (stop) this.#waiting.delete(stop);
    }
  }

  /** Remove this session's finished units from Redis (their results are with the coordinator now). */
  async forgetFinished(): Promise<void> {
    for (const id of this.#finished) await this.queue.remove(id).catch(() => 0);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#poller) clearInterval(this.#poller);
    this.#options.signal?.removeEventListener('abort', this.#onAbort);
    await Promise.allSettled([this.events.close(), this.queue.close()]);
  }
}

export type ModelUnitHandler = (data: ModelUnitData, context: { jobId: string; worker: string; log: (line: string) => void }) => Promise<unknown>;

export interface ModelWorkerOptions {
  url: string;
  /** One handler per unit kind (`loss`, ...). */
  handlers: Record<string, ModelUnitHandler>;
  timings?: QueueTimings;
  log?: (line: string) => void;
}

export interface ModelWorkerHandle {
  worker: Worker;
  readonly id: string;
  close(): Promise<void>;
}

/** The worker side: one unit at a time, each by the handler of its kind. */
export async function startModelWorker(options: ModelWorkerOptions): Promise<ModelWorkerHandle> {
  await assertRedisReachable(options.url);
  const id = `${hostname()} pid ${process.pid}`;
  const log = options.log ?? (() => undefined);
  const timings = options.timings ?? queueTimings();
  const worker = new Worker(
    MODEL_QUEUE,
    async (job: Job<ModelUnitData>) => {
      const handler = options.handlers[job.data?.kind];
      if (!handler) throw new UnrecoverableError(`unit ${job.id} is a ${String(job.data?.kind)} unit; this worker makes ${Object.keys(options.handlers).join(', ')} units (update judgekit on every machine).`);
      const started = performance.now();
      log(`unit ${job.id} started: ${job.data.kind}`);
      const result = await handler(job.data, { jobId: String(job.id), worker: id, log });
      log(`unit ${job.id} done in ${Math.round(performance.now() - started)} ms`);
      return result;
    },
    {
      connection: redisConnection(options.url),
      concurrency: 1,
      lockDuration: timings.lockDurationMs,
      stalledInterval: timings.stalledIntervalMs,
      maxStalledCount: timings.maxStalledCount,
    },
  );
  worker.on('failed', (job, error) => log(`unit ${job?.id ?? '?'} failed: ${error.message}`));
  worker.on('error', (error) => log(`queue error: ${error.message}`));
  await worker.waitUntilReady();
  return { worker, id, close: () => worker.close() };
}

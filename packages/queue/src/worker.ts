// `judgekit worker`: takes units off the queue and makes them with the same judge code as `judgekit judge`
// in-process (the caller builds the judge from the unit's settings), returning the judgments to the coordinator.
// Delivery is at least once: a unit whose worker dies goes back to the queue (BullMQ's stalled-job check) and the
// next worker answers its finished calls from the shared request cache, so nothing is paid for twice.
import { hostname } from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { canonicalHash, loadAnswerFiles, mapConcurrent, type Judge, type JudgeCallRunner, type ModelAnswers } from '@judgekit/core';
import { assertRedisReachable, JUDGE_QUEUE, queueTimings, redisConnection, type QueueTimings } from './connection.js';
import { JUDGE_UNIT_VERSION, judgeItemInput, type JudgeSpec, type JudgeUnitData, type JudgeUnitResult } from './judge-units.js';
import { checkSharedFile } from './shared-files.js';
import { UnitSpendMeter } from './unit-spend.js';

export interface BuiltJudge {
  judge: Judge;
  /** Items a unit keeps in flight (a couple more than the judge's call concurrency, as `judgekit judge` does). */
  itemsInFlight: number;
  /** The judge's call runner: each unit's requests and tokens are measured through it and returned with the unit. */
  calls?: Pick<JudgeCallRunner, 'onSpend'>;
}

export interface JudgeWorkerOptions {
  url: string;
  /** Units made at once. Default 2 (so the next unit starts while one waits for its last calls). */
  units?: number;
  /** Builds the judge of a spec, the way `judgekit judge` does. Called once per distinct spec. */
  buildJudge: (spec: JudgeSpec) => Promise<BuiltJudge>;
  timings?: QueueTimings;
  log?: (line: string) => void;
}

export interface JudgeWorkerHandle {
  worker: Worker<JudgeUnitData, JudgeUnitResult>;
  readonly id: string;
  /** Stop taking units, finish those in hand, disconnect. */
  close(): Promise<void>;
}

export async function startJudgeWorker(options: JudgeWorkerOptions): Promise<JudgeWorkerHandle> {
  await assertRedisReachable(options.url);
  const id = `${hostname()} pid ${process.pid}`;
  const log = options.log ?? (() => undefined);
  const timings = options.timings ?? queueTimings();
  const judges = new Map<string, Promise<BuiltJudge>>();
  const answerSets = new Map<string, Promise<ModelAnswers[]>>();
  const meter = new UnitSpendMeter();

  const answersOf = (unit: JudgeUnitData, jobId: string): Promise<ModelAnswers[]> => {
    const key = canonicalHash(unit.answerFiles);
    let answers = answerSets.get(key);
    if (!answers) {
      answers = (async () => {
        // By path, or downloaded by URL into this worker's cache (the coordinator's JUDGEKIT_SHARED_FILES_URL).
        const paths: string[] = [];
        for (const file of unit.answerFiles) paths.push(await checkSharedFile(file, 'answer file', id, jobId));
        const loaded = await loadAnswerFiles(paths);
        const names = loaded.map((model) => model.name);
        if (names.join('\n') !== unit.models.join('\n')) {
          throw new UnrecoverableError(`the answer files hold models ${names.join(', ')} on worker ${id}, but ${unit.models.join(', ')} for the coordinator (unit ${jobId}).`);
        }
        return loaded;
      })();
      answerSets.set(key, answers);
      // A long-lived worker serves many runs: keep the last few answer sets only.
      if (answerSets.size > 8) answerSets.delete(answerSets.keys().next().value as string);
      // A failed read is not remembered: the file may appear later.
      answers.catch(() => answerSets.delete(key));
    }
    return answers;
  };

  const judgeOf = (spec: JudgeSpec): Promise<BuiltJudge> => {
    const key = canonicalHash(spec);
    let built = judges.get(key);
    if (!built) {
      built = options.buildJudge(spec).then((made) => {
        made.calls?.onSpend(meter.listener);
        return made;
      });
      judges.set(key, built);
      built.catch(() => judges.delete(key));
    }
    return built;
  };

  const processUnit = async (job: Job<JudgeUnitData, JudgeUnitResult>): Promise<JudgeUnitResult> => {
    const unit = job.data;
    if (unit?.kind !== 'judge' || unit.version !== JUDGE_UNIT_VERSION) {
      throw new UnrecoverableError(`unit ${job.id} is a ${String(unit?.kind)} unit of version ${String(unit?.version)}; this worker makes judge units of version ${JUDGE_UNIT_VERSION} (update judgekit on every machine).`);
    }
    const started = performance.now();
    const range = `${unit.indices[0]}-${unit.indices.at(-1)}`;
    log(`unit ${job.id} started: judge ${unit.judge.name}, repeat ${unit.repeat}, items ${range} (${unit.indices.length})`);
    const answers = await answersOf(unit, String(job.id));
    const { judge, itemsInFlight, calls: callRunner } = await judgeOf(unit.judge);
    const { value: results, spend } = await meter.measure(() => mapConcurrent(unit.indices, itemsInFlight, (index) => judge.scoreItem(judgeItemInput(answers, unit.template, unit.repeat, index))));
    const calls = results.reduce((sum, result) => sum + result.calls, 0);
    const cached = results.reduce((sum, result) => sum + result.cachedCalls, 0);
    log(`unit ${job.id} done in ${Math.round(performance.now() - started)} ms: ${results.length} items, ${calls} calls, ${cached} from the cache`);
    return { results, worker: id, ...(callRunner ? { spend } : {}) };
  };

  const worker = new Worker<JudgeUnitData, JudgeUnitResult>(JUDGE_QUEUE, processUnit, {
    connection: redisConnection(options.url),
    concurrency: options.units ?? 2,
    lockDuration: timings.lockDurationMs,
    stalledInterval: timings.stalledIntervalMs,
    maxStalledCount: timings.maxStalledCount,
  });
  worker.on('failed', (job, error) => log(`unit ${job?.id ?? '?'} failed: ${error.message}`));
  worker.on('error', (error) => log(`queue error: ${error.message}`));
  await worker.waitUntilReady();
  return {
    worker,
    id,
    close: () => worker.close(),
  };
}

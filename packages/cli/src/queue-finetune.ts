// `judgekit finetune --queue redis://...` (and the study's fine-tune stage under `judgekit run --queue`): the
// command becomes a coordinator of one unit per model. A worker runs the in-process `finetune` on the unit, writing
// into the shared run directory with the usual incremental files, and always resuming: a unit delivered again (its
// worker was killed and BullMQ's stalled-job check handed it to another) continues after the last epoch whose resume
// state was committed, and a finished one finds result.json and trains nothing. So the weights are the in-process
// ones, bit for bit where in-process training is (CPU, same thread count: a resumed run ends with the weights of an
// uninterrupted one, see test/crash-finetune.int.spec.ts).
import { readFile, rm } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { JudgekitError, pathExists, sha256Hex, writeFileAtomic, type AlpacaRecord } from '@judgekit/core';
import {
  checkSharedFile,
  FINETUNE_UNIT_VERSION,
  finetuneUnitJobId,
  ModelQueueCoordinator,
  sharedFile,
  UnrecoverableError,
  type FinetuneUnitData,
  type FinetuneUnitResult,
  type ModelUnitHandler,
} from '@judgekit/queue';
import type { FinetuneResult } from '@judgekit/backends';
import { checkSharedCheckpoint, sharedCheckpoint } from './queue-shared-checkpoint.js';

/** Where the coordinator leaves the records for the workers: `<run dir>/queue/records-<sha256>.json`. */
export const QUEUE_RECORDS_DIR = 'queue';

export interface QueueFinetuneOptions {
  checkpoint: string;
  configPath?: string;
  records: readonly AlpacaRecord[];
  outDir: string;
  name?: string;
  /** The trainer's recipe (`finetune`'s `recipe`), plain data. */
  recipe: Record<string, unknown>;
  split?: FinetuneUnitData['split'];
  template?: unknown;
  limit?: number;
  device: string;
  threads?: number;
  checkMemory?: boolean;
  /** Start over: the model's resume state, epochs and result are removed (and a finished unit forgotten) first. */
  fresh?: boolean;
}

/** The folder name `finetune` gives a model without --name: the checkpoint's stem, or its folder's for `model.safetensors`. */
function defaultModelName(checkpoint: string): string {
  const stem = basename(checkpoint, extname(checkpoint));
  return stem === 'model' || stem === 'pytorch_model' ? basename(dirname(checkpoint)) || stem : stem;
}

/** The records as one JSON file in the run directory, named by content (written once, atomically). */
async function recordsFile(outDir: string, records: readonly AlpacaRecord[]): Promise<string> {
  const text = JSON.stringify(records);
  const path = join(outDir, QUEUE_RECORDS_DIR, `records-${sha256Hex(text).slice(0, 32)}.json`);
  if (!(await pathExists(path))) await writeFileAtomic(path, text);
  return path;
}

/** The unit of one model's fine-tune (the records are written into the run directory for the workers). */
export async function finetuneUnit(options: QueueFinetuneOptions): Promise<FinetuneUnitData> {
  return {
    kind: 'finetune',
    version: FINETUNE_UNIT_VERSION,
    ...(await sharedCheckpoint(options.checkpoint, options.configPath).then(({ model, ...rest }) => ({ checkpoint: model, ...rest }))),
    records: await sharedFile(await recordsFile(options.outDir, options.records)),
    outDir: options.outDir,
    ...(options.name !== undefined ? { name: options.name } : {}),
    recipe: options.recipe,
    ...(options.split ? { split: options.split } : {}),
    ...(options.template !== undefined ? { template: options.template } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    device: options.device,
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    ...(options.checkMemory === false ? { checkMemory: false } : {}),
  };
}

/** Enqueue one model's fine-tune on `coordinator` (or read it back from an earlier session) and wait for it. */
export async function runFinetuneUnit(coordinator: ModelQueueCoordinator, options: QueueFinetuneOptions): Promise<FinetuneUnitResult> {
  const data = await finetuneUnit(options);
  const id = finetuneUnitJobId(data);
  const name = options.name ?? defaultModelName(options.checkpoint);
  if (options.fresh) {
    // The same unit finished before is forgotten (else it would be read back), and the model's files go.
    const state = await coordinator.queue.getJobState(id);
    if (state === 'active') throw new JudgekitError('usage', `--fresh: a worker is fine-tuning ${name} now (unit ${id}); wait for it, or stop it, and run again.`);
    if (state !== 'unknown') await coordinator.queue.remove(id);
    const dir = join(options.outDir, 'finetune', name);
    await Promise.all(['resume.safetensors', 'result.json', 'epochs.jsonl'].map((file) => rm(join(dir, file), { force: true })));
  }
  return coordinator.run<FinetuneUnitData, FinetuneUnitResult>({ id, data, describe: `fine-tune of ${name} from ${options.checkpoint}` });
}

/** `judgekit finetune --queue`: one unit, through a coordinator of its own. */
export async function runFinetuneOnQueue(url: string, options: QueueFinetuneOptions, io: { stderr: NodeJS.WritableStream; signal?: AbortSignal }, quiet: boolean): Promise<FinetuneResult & FinetuneUnitResult> {
  const coordinator = await ModelQueueCoordinator.open({
    url,
    ...(io.signal ? { signal: io.signal } : {}),
    notify: (message) => io.stderr.write(`judgekit finetune: ${message}\n`),
  });
  try {
    if (!quiet) io.stderr.write(`judgekit finetune: sent to the queue as one unit; the worker logs each epoch\n`);
    const result = await runFinetuneUnit(coordinator, options);
    await coordinator.forgetFinished();
    io.stderr.write(`judgekit finetune: ${coordinator.unitsDone}/${coordinator.unitsTotal} units through the queue (${coordinator.status()}); made by ${result.worker}${result.resumedFromEpoch > 0 ? `, resumed after epoch ${result.resumedFromEpoch}` : ''}\n`);
    return result as FinetuneResult & FinetuneUnitResult;
  } finally {
    await coordinator.close();
  }
}

/** The worker's handler of fine-tune units: the in-process `finetune`, always resuming, into the shared run directory. */
export function finetuneUnitHandler(): ModelUnitHandler {
  return async (raw, { jobId, worker, log }) => {
    const unit = raw as FinetuneUnitData;
    if (unit.version !== FINETUNE_UNIT_VERSION) throw new UnrecoverableError(`unit ${jobId} is a finetune unit of version ${unit.version}; this worker makes version ${FINETUNE_UNIT_VERSION} (update judgekit on every machine).`);
    const started = performance.now();
    // By path, or downloaded by URL into this worker's cache: the paths to open may not be the coordinator's.
    const { modelPath, configPath } = await checkSharedCheckpoint({ ...unit, model: unit.checkpoint }, worker, jobId);
    const recordsPath = await checkSharedFile(unit.records, 'dataset', worker, jobId);
    const records = JSON.parse(await readFile(recordsPath, 'utf8')) as AlpacaRecord[];
    const { finetune } = await import('@judgekit/backends');
    const { parseDevice } = await import('@judgekit/core');
    try {
      const result = await finetune({
        checkpoint: modelPath,
        ...(configPath ? { configPath } : {}),
        records,
        ...(unit.split ? { split: unit.split } : {}),
        outDir: unit.outDir,
        // A checkpoint downloaded by URL lies in <cache>/queue-files/<sha256>/: name the model from the coordinator's
        // path, as finetune does (its file stem, or its folder's name for model.safetensors).
        ...(unit.name !== undefined ? { name: unit.name } : modelPath !== unit.checkpoint.path ? { name: defaultModelName(unit.checkpoint.path) } : {}),
        recipe: unit.recipe as never,
        ...(unit.template !== undefined ? { template: unit.template as never } : {}),
        device: parseDevice(unit.device),
        ...(unit.threads !== undefined ? { threads: unit.threads } : {}),
        ...(unit.limit !== undefined ? { limit: unit.limit } : {}),
        // Always: a unit delivered again goes on from its resume state (or finds it finished), never starts over.
        resume: true,
        ...(unit.checkMemory === false ? { checkMemory: false } : {}),
        log: (line) => log(`unit ${jobId}: ${line}`),
        progress: false,
      });
      const output: FinetuneUnitResult = { ...result, device: unit.device, seconds: (performance.now() - started) / 1000, worker };
      return output;
    } catch (error) {
      // A run that cannot be resumed (another run's state, too little memory, a bad recipe) fails the same way on
      // every try: fail the unit at once with the message.
      if (error instanceof JudgekitError) throw new UnrecoverableError(error.message);
      throw error;
    }
  };
}

// `judgekit loss --queue redis://...`: the command becomes a coordinator. Units are ranges of whole batches; workers
// score them with the in-process engine code (planTestLoss + scorePlannedBatch) and return each batch's NLL sum and
// token count; the coordinator adds them in batch order with aggregateTestLoss, as computeTestLoss does, so the
// result is the in-process one bit for bit (same device and ONNX Runtime build on the workers).
import { aggregateTestLoss, JudgekitError, Progress, type LikelihoodModel, type TestLossResult, type TokenSource } from '@judgekit/core';
import { checkSharedFile, LOSS_UNIT_VERSION, lossUnitJobId, ModelQueueCoordinator, sharedFile, UnrecoverableError, type LossUnitData, type LossUnitResult, type ModelUnitHandler } from '@judgekit/queue';
import type { CliIo } from './cli-command.js';
import { checkSharedCheckpoint, sharedCheckpoint } from './queue-shared-checkpoint.js';

export interface QueueLossOptions {
  url: string;
  modelPath: string;
  configPath?: string;
  dataPath: string;
  format?: string;
  /** The protocol flags as given. */
  settings: LossUnitData['settings'];
  device: string;
  threads?: number;
  /** Batches per unit. */
  unitBatches: number;
}

export async function runLossOnQueue(options: QueueLossOptions, io: CliIo): Promise<TestLossResult & { device: string }> {
  const started = performance.now();
  const base: Omit<LossUnitData, 'fromBatch' | 'toBatch'> = {
    kind: 'loss',
    version: LOSS_UNIT_VERSION,
    ...(await sharedCheckpoint(options.modelPath, options.configPath)),
    data: await sharedFile(options.dataPath),
    ...(options.format ? { format: options.format } : {}),
    settings: options.settings,
    device: options.device,
    ...(options.threads ? { threads: options.threads } : {}),
  };
  const coordinator = await ModelQueueCoordinator.open({
    url: options.url,
    ...(io.signal ? { signal: io.signal } : {}),
    notify: (message) => io.stderr.write(`judgekit loss: ${message}\n`),
  });
  try {
    const run = (fromBatch: number): Promise<LossUnitResult> => {
      const data: LossUnitData = { ...base, fromBatch, toBatch: fromBatch + options.unitBatches };
      return coordinator.run<LossUnitData, LossUnitResult>({ id: lossUnitJobId(data), data, describe: `loss of ${options.modelPath}, batches ${fromBatch}-${data.toBatch - 1}` });
    };
    // The first unit also says how many batches there are (the workers resolve the protocol against the model).
    const first = await run(0);
    const { totalBatches } = first.plan;
    const progress = new Progress({ label: 'loss', total: totalBatches, unit: 'batches', stream: io.stderr as NodeJS.WriteStream, status: () => coordinator.status() });
    progress.tick(first.batches.length);
    const starts: number[] = [];
    for (let from = options.unitBatches; from < totalBatches; from += options.unitBatches) starts.push(from);
    const rest = await Promise.all(starts.map(async (from) => {
      const result = await run(from);
      progress.tick(result.batches.length);
      return result;
    }));
    progress.finish();
    const results = [first, ...rest];
    const scores: Array<{ sum: number; count: number }> = [];
    for (const result of results) {
      if (JSON.stringify(result.plan) !== JSON.stringify(first.plan) || result.tokens !== first.tokens) {
        throw new JudgekitError('internal', `Workers disagree on the loss protocol: ${first.worker} planned ${JSON.stringify(first.plan)} of ${first.tokens}, ${result.worker} ${JSON.stringify(result.plan)} of ${result.tokens} (same files, other judgekit versions?).`);
      }
      for (const batch of result.batches) {
        if (batch.batch !== scores.length) throw new JudgekitError('internal', `Loss unit from ${result.worker} returned batch ${batch.batch} where batch ${scores.length} was expected.`);
        scores.push({ sum: batch.sum, count: batch.count });
      }
    }
    if (scores.length !== totalBatches) throw new JudgekitError('internal', `The loss units returned ${scores.length} of ${totalBatches} batches.`);
    await coordinator.forgetFinished();
    io.stderr.write(`judgekit loss: ${coordinator.unitsDone}/${coordinator.unitsTotal} units through the queue (${coordinator.status()})\n`);
    const devices = [...new Set(results.map((result) => result.device))];
    const result = aggregateTestLoss(scores, first.plan, options.settings.batches, first.tokens, (performance.now() - started) / 1000);
    return { ...result, device: devices.join(',') };
  } finally {
    await coordinator.close();
  }
}

/** The worker's handler of loss units: the model and data by path (checked against the coordinator's checksums). */
export function lossUnitHandler(): { handler: ModelUnitHandler; dispose(): Promise<void> } {
  let open: { key: string; model: LikelihoodModel & { device?: string; dispose(): Promise<void> }; source: TokenSource } | undefined;
  const dispose = async (): Promise<void> => {
    const held = open;
    open = undefined;
    if (held) await Promise.allSettled([held.model.dispose(), held.source.close()]);
  };
  const handler: ModelUnitHandler = async (raw, { jobId, worker }) => {
    const unit = raw as LossUnitData;
    if (unit.version !== LOSS_UNIT_VERSION) throw new UnrecoverableError(`unit ${jobId} is a loss unit of version ${unit.version}; this worker makes version ${LOSS_UNIT_VERSION} (update judgekit on every machine).`);
    const started = performance.now();
    // By path, or downloaded by URL into this worker's cache: the paths to open may not be the coordinator's.
    const { modelPath, configPath } = await checkSharedCheckpoint(unit, worker, jobId);
    const dataPath = await checkSharedFile(unit.data, 'data file', worker, jobId);
    const { parseDevice, createGpt2LikelihoodModel, openTokenSource } = await import('@judgekit/backends');
    const { planTestLoss, scorePlannedBatch } = await import('@judgekit/core');
    const key = JSON.stringify([modelPath, unit.model.sha256, configPath ?? null, unit.config?.sha256 ?? null, unit.companions ?? [], dataPath, unit.data.sha256, unit.format ?? null, unit.device, unit.threads ?? null]);
    if (open?.key !== key) {
      await dispose();
      // The model opens first: text data is tokenized with its own tokenizer (GPT-2's, or a Llama checkpoint's).
      const model = await createGpt2LikelihoodModel(modelPath, { device: parseDevice(unit.device), ...(unit.threads ? { threads: unit.threads } : {}), ...(configPath ? { configPath } : {}) });
      const source = await openTokenSource(dataPath, { ...(unit.format ? { format: unit.format as 'text' } : {}), tokenizer: model.tokenizer }).catch(async (error: unknown) => {
        await model.dispose();
        throw error;
      });
      open = { key, model, source };
    }
    const { model, source } = open;
    const plan = planTestLoss(model, source, unit.settings);
    const batches: LossUnitResult['batches'] = [];
    for (let b = unit.fromBatch; b < Math.min(unit.toBatch, plan.totalBatches); b++) batches.push({ batch: b, ...(await scorePlannedBatch(model, source, plan, b)) });
    const result: LossUnitResult = {
      batches,
      plan: { contextLength: plan.contextLength, stride: plan.stride, batchSize: plan.batchSize, startToken: plan.startToken, windows: plan.windows.length, totalBatches: plan.totalBatches },
      tokens: source.description,
      device: String(model.device ?? unit.device),
      seconds: (performance.now() - started) / 1000,
      worker,
    };
    return result;
  };
  return { handler, dispose };
}

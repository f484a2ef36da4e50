// `judgekit worker --queue redis://host:port`: make units of `judgekit judge --queue` until stopped (SIGINT/SIGTERM
// finish the units in hand first). The judge is built from each unit's settings exactly as `judgekit judge` builds it.
import { assembleJudge, JudgekitError, scrubSecrets } from '@judgekit/core';
import { displayQueueUrl, startJudgeWorker, startModelWorker } from '@judgekit/queue';
import { assembleJudgekit } from '../builtin-plugins.js';
import { integerOption, stringOption, type CliCommand } from '../cli-command.js';

export const command: CliCommand = {
  name: 'worker',
  summary: 'Make the units of coordinators started with --queue (judge calls, loss batches, generation chunks, fine-tunes), until stopped',
  usage: 'judgekit worker --queue redis://host:port [--concurrency n] [--units n]',
  options: {
    queue: { type: 'string', value: '<redis://host:port>', description: 'The Redis the coordinators enqueue to' },
    concurrency: { type: 'string', value: '<n>', description: "Judge calls in flight in this worker (default: the coordinator's --concurrency)" },
    units: { type: 'string', value: '<n>', description: 'Units made at once', default: '2' },
  },
  async run(args, io) {
    const url = stringOption(args, 'queue');
    if (!url) throw new JudgekitError('usage', '--queue redis://host:port is required: the Redis the coordinators enqueue to.');
    const callConcurrency = integerOption(args, 'concurrency', undefined, 1);
    const units = integerOption(args, 'units', 2, 1) as number;
    const log = (line: string): void => void io.stderr.write(`judgekit worker: ${scrubSecrets(line)}\n`);
    // One registry per plugin set; the built-in one is loaded before the worker says it is ready.
    const registries = new Map<string, ReturnType<typeof assembleJudgekit>>();
    const registryFor = (plugins: string[], baseDir: string): ReturnType<typeof assembleJudgekit> => {
      const key = JSON.stringify(plugins.length === 0 ? [] : [plugins, baseDir]);
      let registry = registries.get(key);
      if (!registry) {
        registry = assembleJudgekit({ plugins, baseDir });
        registries.set(key, registry);
        registry.catch(() => registries.delete(key));
      }
      return registry;
    };
    await registryFor([], io.cwd);
    const handle = await startJudgeWorker({
      url,
      units,
      log,
      buildJudge: async (spec) => {
        const { registry } = await registryFor(spec.plugins, spec.pluginBaseDir);
        const { dryRun: _dryRun, ...given } = spec.settings;
        const settings = callConcurrency !== undefined ? { ...given, concurrency: callConcurrency } : given;
        const assembled = assembleJudge(spec.name, settings, { registry, env: io.env, cacheDir: spec.cacheDir, at: { path: 'unit.judge' }, errorKind: 'usage' });
        return { judge: assembled.judge, itemsInFlight: (assembled.settings.concurrency ?? 4) + 2, calls: assembled.calls };
      },
    });
    // Model units (loss, generation) on their own queue, one at a time: each keeps the CPU or GPU busy.
    const { lossUnitHandler } = await import('../queue-loss.js');
    const { generateUnitHandlers } = await import('../queue-generate.js');
    const loss = lossUnitHandler();
    const generation = generateUnitHandlers();
    const { finetuneUnitHandler } = await import('../queue-finetune.js');
    const models = await startModelWorker({ url, log, handlers: { loss: loss.handler, ...generation.handlers, finetune: finetuneUnitHandler() } }).catch(async (error: unknown) => {
      await handle.close();
      throw error;
    });
    log(`ready: ${handle.id} on ${displayQueueUrl(url)}, ${units} judge unit${units === 1 ? '' : 's'} at once, 1 model unit (loss, generate, finetune) at a time`);
    await new Promise<void>((resolve) => {
      if (!io.signal || io.signal.aborted) return resolve();
      io.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    log('stopping: finishing the units in hand');
    await Promise.all([handle.close(), models.close()]);
    await Promise.all([loss.dispose(), generation.dispose()]);
    return 0;
  },
};

// `judgekit judge --queue redis://...`: the command becomes a coordinator. Its JudgeRunner is the in-process one
// (same judgments log, results and run.json); only the judge's items are made by `judgekit worker` processes.
import { JudgeCallRunner, JudgeRunner, scrubSecrets, type JudgeRunOptions, type JudgeRunSummary, type JudgeSettings } from '@judgekit/core';
import { displayQueueUrl, JudgeQueueCoordinator, sharedFile, unitCallStats } from '@judgekit/queue';
import type { CliIo } from './cli-command.js';

export interface QueueJudgeOptions {
  url: string;
  /** Items per unit. */
  unitSize: number;
  /** The judge as `judgekit judge` assembled it: its name and settings (no secrets: keys come from each worker's environment). */
  judgeName: string;
  settings: JudgeSettings;
  plugins: string[];
  cacheDir: string;
  /** Answer files as given (absolute paths); workers read them by path. */
  answerFiles: string[];
  template: string;
}

export async function runJudgeOnQueue(runOptions: JudgeRunOptions, options: QueueJudgeOptions, io: CliIo): Promise<JudgeRunSummary> {
  // Checksums, and URLs where the coordinator serves them (JUDGEKIT_SHARED_FILES_URL).
  const answerFiles = await Promise.all(options.answerFiles.map((path) => sharedFile(path)));
  const { dryRun: _dryRun, ...settings } = options.settings;
  // The workers' calls, as each unit reports them: JudgeRunner writes them to spend.jsonl (once per unit id, should a
  // unit be read back again) and run.json's session totals as if they were its own.
  const calls = new JudgeCallRunner();
  const coordinator = await JudgeQueueCoordinator.open({
    url: options.url,
    unitSize: options.unitSize,
    unit: {
      runDir: runOptions.outDir,
      judge: { name: options.judgeName, settings, plugins: options.plugins, pluginBaseDir: io.cwd, cacheDir: options.cacheDir },
      template: options.template,
      answerFiles,
      models: runOptions.answers.map((model) => model.name),
    },
    ...(runOptions.signal ? { signal: runOptions.signal } : {}),
    notify: (message) => io.stderr.write(`judgekit judge: ${scrubSecrets(message)}\n`),
    onUnitSpend: ({ id, results, spend }) => calls.recordRemote(unitCallStats(results, spend), { ...spend, key: `unit ${id}` }),
  });
  try {
    const summary = await new JudgeRunner().run({
      ...runOptions,
      calls,
      judge: coordinator.remote(runOptions.judge),
      // Every missing judgment is handed out at once, cut into units; workers bound the calls in flight.
      itemsInFlight: Number.MAX_SAFE_INTEGER,
      progress: { ...runOptions.progress, status: () => coordinator.status() },
    });
    if (!summary.interrupted) await coordinator.forgetFinished();
    const units = coordinator.unitsTotal;
    if (units > 0) {
      const totals = coordinator.workerTotals;
      io.stderr.write(
        `judgekit judge: ${coordinator.unitsDone}/${units} units through ${displayQueueUrl(options.url)} (${coordinator.status()}); coordinator overhead ${(coordinator.overheadMs / units).toFixed(1)} ms per unit\n` +
          `judgekit judge: calls on the workers: ${totals.calls} made, ${totals.cachedCalls} from the cache; tokens: ${totals.tokenUsage.prompt} prompt + ${totals.tokenUsage.completion} completion\n`,
      );
    }
    return summary;
  } finally {
    await coordinator.close();
  }
}

// `judgekit run <study> --queue redis://...`: the study's loss, fine-tune, generation and judging stages send their
// work to `judgekit worker` processes through the per-command queue paths (`loss --queue`, `finetune --queue`,
// `generate --queue`, `judge --queue`), and write the run directory as always. A model of another backend, or a judge
// the queue's judge units cannot carry (batch-api execution, auto repeats, a custom template, answer files read by
// another field or under other names), runs in this process, and the log says so.
import { loadAnswerFiles, RunStore, DEFAULT_GENERATION_BATCH_SIZE, type StudyModel, type StudyRemoteWork } from '@judgekit/core';
import { assertRedisReachable, displayQueueUrl, ModelQueueCoordinator } from '@judgekit/queue';
import type { CliIo } from './cli-command.js';

export interface StudyQueueOptions {
  url: string;
  runDir: string;
  /** The judge-call cache (shared storage: workers answer redelivered calls from it). */
  cacheDir: string;
  /** The study's plugins and the directory its relative paths are resolved from. */
  plugins: string[];
  baseDir: string;
  /** The study's device (`--device` or the config's), when given. */
  device?: string;
  io: CliIo;
  log: (line: string) => void;
}

/** The hooks of a study run on the queue (Redis is checked first, so a wrong URL fails before any stage runs). */
export async function openStudyQueue(options: StudyQueueOptions): Promise<StudyRemoteWork> {
  const { url } = options;
  await assertRedisReachable(url);
  // The per-command paths print as their commands do; relative plugin paths resolve from the study's folder.
  const io: CliIo = { ...options.io, cwd: options.baseDir };
  const told = new Set<string>();
  const tell = (line: string): undefined => {
    if (!told.has(line)) options.log(line);
    told.add(line);
    return undefined;
  };
  /** Only the built-in backend's models have queue units (the workers open checkpoints with it). */
  const queued = (model: StudyModel, stage: string): boolean => {
    if (model.backend === 'onnxruntime') return true;
    tell(`${stage} ${model.name}: backend "${model.backend}" has no queue units: it runs in this process`);
    return false;
  };
  const threadsOf = (model: StudyModel, given?: number): number | undefined => given ?? (typeof model.backendOptions.threads === 'number' ? model.backendOptions.threads : undefined);
  const answersDir = new RunStore(options.runDir).answersDir;

  return {
    description: `the queue at ${displayQueueUrl(url)}`,

    async loss(model, request) {
      if (!queued(model, 'loss') || !model.checkpoint) return undefined;
      const { runLossOnQueue } = await import('./queue-loss.js');
      const threads = threadsOf(model);
      return runLossOnQueue(
        {
          url,
          modelPath: model.checkpoint,
          ...(model.config ? { configPath: model.config } : {}),
          dataPath: request.dataPath,
          settings: request.settings,
          device: options.device ?? 'auto',
          ...(threads !== undefined ? { threads } : {}),
          unitBatches: 4,
        },
        io,
      );
    },

    async finetune(model, request) {
      if (!queued(model, 'finetune')) return undefined;
      const { onnxFinetuneOptions, onnxFinetuneOutcome } = await import('@judgekit/backends');
      const { runFinetuneUnit } = await import('./queue-finetune.js');
      // The trainer's options exactly as the in-process backend builds them.
      const trainer = onnxFinetuneOptions(request);
      const coordinator = await ModelQueueCoordinator.open({ url, ...(request.signal ? { signal: request.signal } : {}), ...(request.log ? { notify: request.log } : {}) });
      try {
        request.log?.(`sent to the queue at ${displayQueueUrl(url)} as one unit; the worker logs each epoch`);
        const result = await runFinetuneUnit(coordinator, {
          checkpoint: trainer.checkpoint,
          ...(trainer.configPath ? { configPath: trainer.configPath } : {}),
          records: trainer.records,
          outDir: trainer.outDir,
          ...(trainer.name !== undefined ? { name: trainer.name } : {}),
          recipe: (trainer.recipe ?? {}) as Record<string, unknown>,
          ...(trainer.split ? { split: trainer.split } : {}),
          ...(trainer.template !== undefined ? { template: trainer.template } : {}),
          device: trainer.device ?? 'cpu',
          ...(trainer.threads !== undefined ? { threads: trainer.threads } : {}),
        });
        await coordinator.forgetFinished();
        request.log?.(`fine-tuned by ${result.worker}${result.resumedFromEpoch > 0 ? ` (resumed after epoch ${result.resumedFromEpoch})` : ''}`);
        return onnxFinetuneOutcome(request, { ...result, epochs: result.epochs as never[] });
      } finally {
        await coordinator.close();
      }
    },

    async generativeModel(model, weights, backendOptions) {
      if (!queued(model, 'generate')) return undefined;
      const { openQueuedGenerativeModel } = await import('./queue-generate.js');
      const threads = threadsOf(model, backendOptions.threads);
      const generative = await openQueuedGenerativeModel(
        {
          url,
          modelPath: weights.path,
          ...(weights.configPath ? { configPath: weights.configPath } : {}),
          device: backendOptions.device ?? 'auto',
          ...(threads !== undefined ? { threads } : {}),
          // The chunk size the in-process model would use.
          batchSize: backendOptions.batchSize ?? DEFAULT_GENERATION_BATCH_SIZE,
          out: answersDir,
          name: model.name,
        },
        io,
      );
      return Object.assign(generative, { status: () => generative.coordinator.status() });
    },

    async judge(configured, runOptions) {
      const settings = configured.settings;
      const why =
        settings.execution === 'batch-api'
          ? 'its execution is batch-api (provider batches already run off this machine)'
          : settings.repeats === 'auto'
            ? 'repeats "auto" decides each repeat from the ones before'
            : runOptions.template !== undefined && typeof runOptions.template !== 'string'
              ? 'a custom template object cannot go in a unit'
              : await answersUnitsCannotCarry(runOptions.answers);
      if (why) return tell(`judge ${configured.name}: runs in this process: ${why}`);
      const { runJudgeOnQueue } = await import('./queue-judge.js');
      return runJudgeOnQueue(
        runOptions,
        {
          url,
          unitSize: 25,
          judgeName: configured.name,
          settings,
          plugins: options.plugins,
          cacheDir: options.cacheDir,
          answerFiles: runOptions.answers.map((answers) => answers.file as string),
          template: (runOptions.template as string | undefined) ?? 'book',
        },
        io,
      );
    },
  };
}

/** Workers load answer files whole and check the models' names: the study's must be what the files say. */
async function answersUnitsCannotCarry(answers: ReadonlyArray<{ name: string; file?: string; column?: string; records: ReadonlyArray<{ model_response: string }> }>): Promise<string | undefined> {
  if (answers.some((model) => !model.file)) return 'an answer set has no file';
  const loaded = await loadAnswerFiles(answers.map((model) => model.file as string)).catch(() => undefined);
  const names = loaded?.map((model) => model.name) ?? [];
  if (names.join('\n') !== answers.map((model) => model.name).join('\n')) {
    return `workers read the answer files as models ${names.join(', ') || '(unreadable)'}, the study names them ${answers.map((model) => model.name).join(', ')}`;
  }
  const same = answers.every((model, m) => model.records.every((record, i) => loaded?.[m]?.records[i]?.model_response === record.model_response));
  return same ? undefined : 'an answer file is read by another field than model_response';
}

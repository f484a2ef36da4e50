// `judgekit run <study.json>`: the whole study (loss, fine-tuning, generation, judging, results, report) for N
// models, resumable stage by stage from the run directory.
import judgesModule from '@judgekit/judges';
import datasetsModule from '@judgekit/datasets';
import { assembleContainer, defaultCacheDir, JudgekitError, loadStudyConfig, writeJsonAtomic } from '@judgekit/core';
import { join, resolve } from 'node:path';
import { stringOption, type CliCommand } from '../cli-command.js';
import { buildStudyJudges } from '../study/study-judges.js';
import { buildStudyPipeline } from '../study/study-pipeline.js';
import { runEnvironment } from '../run-environment.js';

const DEVICES = ['auto', 'cpu', 'cuda', 'webgpu'] as const;

export const command: CliCommand = {
  name: 'run',
  summary: 'Run a whole study from a config: test loss, fine-tuning, generation, judging, results and report',
  usage: 'judgekit run <study.json> [--run-dir <dir>] [--device cpu|cuda|webgpu|auto]',
  options: {
    'run-dir': { type: 'string', value: '<dir>', description: 'Run directory (default: the config\'s "runDir", else runs/<config name>)' },
    device: { type: 'string', value: '<device>', description: 'Device for loss, fine-tuning and generation (overrides the config)' },
    quiet: { type: 'boolean', short: 'q', description: 'Only print the results table' },
  },
  async run(args, io) {
    const file = args.positionals[0];
    if (!file || args.positionals.length > 1) throw new JudgekitError('usage', 'Give exactly one study config file: judgekit run study.json');
    const loaded = await loadStudyConfig(resolve(io.cwd, file));
    const device = stringOption(args, 'device') ?? loaded.config.device;
    if (device !== undefined && !(DEVICES as readonly string[]).includes(device)) {
      throw new JudgekitError('usage', `Unsupported device "${device}". Should be one of: ${DEVICES.join(', ')}.`);
    }
    const configName = loaded.file.replace(/^.*[\\/]/, '').replace(/\.json$/, '');
    const runDir = resolve(io.cwd, stringOption(args, 'run-dir') ?? (loaded.config.runDir ? resolve(loaded.baseDir, loaded.config.runDir) : join('runs', configName)));
    const cacheDir = loaded.config.cacheDir ? resolve(loaded.baseDir, loaded.config.cacheDir) : defaultCacheDir(io.env);

    const { container, failed } = await assembleContainer({ modules: [judgesModule, datasetsModule], plugins: loaded.config.plugins ?? [], baseDir: loaded.baseDir, strict: false });
    for (const failure of failed) io.stderr.write(`judgekit run: plugin ${failure.specifier} not loaded: ${(failure.error as Error).message}\n`);
    if (failed.length > 0) return 1;

    const judges = buildStudyJudges(container, loaded.config.judges ?? [], { env: io.env, cacheDir, file: loaded.file });
    const quiet = args.values.quiet === true;
    const log = (message: string): void => {
      if (!quiet) io.stderr.write(`judgekit run: ${message}\n`);
    };
    const pipeline = buildStudyPipeline({
      loaded,
      runDir,
      judges,
      ...(device ? { device: device as (typeof DEVICES)[number] } : {}),
      stdout: io.stdout,
      stderr: io.stderr,
    });
    const started = new Date();
    const outcome = await pipeline.run(runDir, { log, ...(io.signal ? { signal: io.signal } : {}) });
    if (outcome.ran.length === 0) {
      io.stdout.write(`Nothing to do: every stage of ${runDir} is complete (${outcome.skipped.join(', ')}).\n`);
      return 0;
    }
    await writeJsonAtomic(join(runDir, 'run.json'), {
      ...(await runEnvironment()),
      command: 'run',
      config: loaded.config,
      configFile: loaded.file,
      startedAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
      stagesRun: outcome.ran,
      stagesSkipped: outcome.skipped,
    });
    io.stdout.write(`run directory: ${runDir}\n`);
    return 0;
  },
};

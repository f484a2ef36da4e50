// `judgekit run <study.json>`: the whole study (loss, fine-tuning, generation, judging, results, report) for N
// models, resumable stage by stage from the run directory. A thin shell: the stages are @judgekit/core's study
// library, every one resolved from the container, so plugins can add or replace any of them.
import { createStudy, defaultCacheDir, DEVICE_NAMES, JudgekitError, loadStudyConfig, parseDevice, runStudy, scrubSecrets } from '@judgekit/core';
import { join, resolve } from 'node:path';
import { stringOption, type CliCommand } from '../cli-command.js';
import { assembleJudgekit } from '../builtin-plugins.js';
import { FORCE_LOCK_OPTION, lockRunDirectory } from '../run-dir-lock.js';
import { runEnvironment } from '../run-environment.js';

export const command: CliCommand = {
  name: 'run',
  summary: 'Run a whole study from a config: test loss, fine-tuning, generation, judging, results and report',
  usage: 'judgekit run <study.json> [--run-dir <dir>] [--device cpu|cuda|webgpu|auto] [--queue redis://host:port]',
  options: {
    'run-dir': { type: 'string', value: '<dir>', description: 'Run directory (default: the config\'s "runDir", else runs/<config name>)' },
    device: { type: 'string', value: '<device>', description: 'Device for loss, fine-tuning and generation (overrides the config)' },
    quiet: { type: 'boolean', short: 'q', description: 'Only print the results table' },
    'force-lock': FORCE_LOCK_OPTION,
    queue: { type: 'string', value: '<redis://host:port>', description: 'Be a coordinator: loss, fine-tuning, generation and judging go as units to `judgekit worker` processes on this Redis; the run directory is written here as always (see docs/scale.md)' },
  },
  async run(args, io) {
    const file = args.positionals[0];
    if (!file || args.positionals.length > 1) throw new JudgekitError('usage', 'Give exactly one study config file: judgekit run study.json');
    const loaded = await loadStudyConfig(resolve(io.cwd, file));
    const deviceName = stringOption(args, 'device') ?? loaded.config.device;
    if (deviceName !== undefined && !(DEVICE_NAMES as readonly string[]).includes(deviceName)) {
      throw new JudgekitError('usage', `Unsupported device "${deviceName}". Should be one of: ${DEVICE_NAMES.join(', ')}.`);
    }
    const device = deviceName === undefined ? undefined : parseDevice(deviceName);
    const configName = loaded.file.replace(/^.*[\\/]/, '').replace(/\.json$/, '');
    const runDir = resolve(io.cwd, stringOption(args, 'run-dir') ?? (loaded.config.runDir ? resolve(loaded.baseDir, loaded.config.runDir) : join('runs', configName)));
    const cacheDir = loaded.config.cacheDir ? resolve(loaded.baseDir, loaded.config.cacheDir) : defaultCacheDir(io.env);

    const { container } = await assembleJudgekit({ plugins: loaded.config.plugins ?? [], baseDir: loaded.baseDir, configFile: loaded.file });
    const quiet = args.values.quiet === true;
    const queueUrl = stringOption(args, 'queue');
    const remote = queueUrl
      ? await (await import('../queue-study.js')).openStudyQueue({
          url: queueUrl,
          runDir,
          cacheDir,
          plugins: loaded.config.plugins ?? [],
          baseDir: loaded.baseDir,
          ...(device ? { device } : {}),
          io,
          log: (message) => {
            if (!quiet) io.stderr.write(`judgekit run: ${scrubSecrets(message)}\n`);
          },
        })
      : undefined;
    const study = createStudy(container, loaded, { runDir, cacheDir, env: io.env, ...(device ? { device } : {}), output: { stdout: io.stdout, stderr: io.stderr }, ...(remote ? { remote } : {}) });
    // One process per run directory: a second one would pay for the same calls and mix its writes in.
    const lock = await lockRunDirectory(runDir, 'run', args, io);
    const outcome = await runStudy(study, {
      log: (message) => {
        if (!quiet) io.stderr.write(`judgekit run: ${scrubSecrets(message)}\n`);
      },
      ...(io.signal ? { signal: io.signal } : {}),
      record: { ...(await runEnvironment()), command: 'run' },
    }).finally(() => lock.release());
    if (outcome.ran.length === 0) {
      io.stdout.write(`Nothing to do: every stage of ${runDir} is complete (${outcome.skipped.join(', ')}).\n`);
      return 0;
    }
    io.stdout.write(`run directory: ${runDir}\n`);
    return 0;
  },
};

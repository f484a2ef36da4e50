// `judgekit batches <run-dir> [--cancel]`: the provider batches a `--execution batch-api` run recorded in its
// batches.json, as the provider sees them now; --cancel cancels those not finished.
import { cancelRunBatches, isBatchCapable, JudgekitError, listRunBatches, readBatchState, batchesFile, type BatchCapableProvider } from '@judgekit/core';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { assembleJudgekit } from '../builtin-plugins.js';
import { stringOption, type CliCommand } from '../cli-command.js';

const BASE_URL_ENV: Record<string, string> = { openai: 'OPENAI_BASE_URL', anthropic: 'ANTHROPIC_BASE_URL' };

/** run.json's recorded options (api, baseURL), to reach the endpoint the batches went to. */
async function recordedOptions(runDir: string): Promise<{ api?: string; baseURL?: string }> {
  try {
    const run = JSON.parse(await readFile(join(runDir, 'run.json'), 'utf8')) as { options?: { api?: unknown; baseURL?: unknown } };
    return {
      ...(typeof run.options?.api === 'string' ? { api: run.options.api } : {}),
      ...(typeof run.options?.baseURL === 'string' ? { baseURL: run.options.baseURL } : {}),
    };
  } catch {
    return {};
  }
}

export const command: CliCommand = {
  name: 'batches',
  summary: 'List the provider batches of a run directory (judge --execution batch-api), or cancel the unfinished ones',
  usage: 'judgekit batches <run-dir> [--cancel] [--base-url <url>]',
  options: {
    cancel: { type: 'boolean', description: 'Cancel every batch of the run that has not finished (its finished requests are still downloaded by a rerun)' },
    'base-url': { type: 'string', value: '<url>', description: "Provider endpoint (default OPENAI_BASE_URL / ANTHROPIC_BASE_URL, else the run's recorded one, else the vendor)" },
    plugin: { type: 'string', multiple: true, value: '<module>', description: 'Load a provider plugin (npm package or path exporting a ContainerModule); repeatable' },
  },

  async run(args, io) {
    const dir = args.positionals[0];
    if (!dir || args.positionals.length > 1) throw new JudgekitError('usage', 'Give one run directory: judgekit batches <run-dir> [--cancel].');
    const runDir = resolve(io.cwd, dir);
    const state = await readBatchState(runDir);
    if (!state || state.batches.length === 0) {
      io.stdout.write(`No provider batches recorded in ${runDir} (no ${batchesFile(runDir)}).\n`);
      return 0;
    }
    const providerId = state.batches[0]?.provider as string;
    const plugins = (args.values.plugin as string[] | undefined) ?? [];
    const { registry } = await assembleJudgekit({ plugins, baseDir: io.cwd });
    if (!registry.has('chat-provider', providerId)) throw new JudgekitError('usage', `${batchesFile(runDir)}: provider "${providerId}" is not loaded; pass --plugin <module> for a plugin provider.`, { file: batchesFile(runDir) });
    const recorded = await recordedOptions(runDir);
    const envVar = BASE_URL_ENV[providerId];
    const baseURL = stringOption(args, 'base-url') ?? (envVar && io.env[envVar] ? undefined : recorded.baseURL);
    const provider = registry.get('chat-provider', providerId).create({ env: io.env, ...(baseURL ? { baseURL } : {}), ...(recorded.api ? { api: recorded.api } : {}) });
    if (!isBatchCapable(provider)) throw new JudgekitError('usage', `Provider "${providerId}" has no batch API.`);
    const batchProvider: BatchCapableProvider = provider;

    if (args.values.cancel === true) {
      const cancelled = await cancelRunBatches(runDir, batchProvider);
      for (const info of cancelled) io.stdout.write(`cancel requested: ${info.id} (now ${info.status})\n`);
      io.stdout.write(`${cancelled.length} batch${cancelled.length === 1 ? '' : 'es'} cancelled; a rerun of the judge downloads what they finished and submits the rest again (or pass --execution live).\n`);
      return 0;
    }
    const entries = await listRunBatches(runDir, batchProvider);
    io.stdout.write('batch\tprovider\tround\tchunk\trequests\tstatus\tsucceeded\tfailed\tdownloaded\n');
    for (const entry of entries) {
      const counts = entry.live?.counts;
      const succeeded = entry.downloaded ? entry.succeeded : (counts?.succeeded ?? 0);
      const failed = entry.downloaded ? entry.failed.length : (counts?.failed ?? 0);
      io.stdout.write(`${entry.id ?? '(submitting)'}\t${entry.provider}\t${entry.round}\t${entry.chunk}\t${entry.keys.length}\t${entry.live?.status ?? entry.status}\t${succeeded}\t${failed}\t${entry.downloaded ? 'yes' : 'no'}\n`);
    }
    return 0;
  },
};

// `judgekit plugins`: every contribution the built-ins and the given plugins provide, with its package and
// options schema, so a plugin author can see that judgekit found theirs.
import { formatSource, loadStudyConfig, type ContributionEntry } from '@judgekit/core';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { stringOption, type CliCommand } from '../cli-command.js';
import { assembleJudgekit } from '../builtin-plugins.js';

function table(entries: readonly ContributionEntry[]): string {
  const rows = entries.map((entry) => [entry.kind, entry.id, formatSource(entry.source) + (entry.replaces ? ` (replaces ${formatSource(entry.replaces)})` : ''), optionNames(entry), entry.description]);
  const header = ['kind', 'id', 'package', 'options', 'description'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] as string).length)));
  const line = (cells: readonly string[]): string => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] as number))).join('  ').trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

function optionNames(entry: ContributionEntry): string {
  const properties = (entry.optionsSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return properties && Object.keys(properties).length > 0 ? Object.keys(properties).join(',') : '-';
}

/**
 * Plugins from `--plugin` flags (relative to the working directory) and, with `--config`, the study config's
 * `plugins`, found from the config's folder as `judgekit run` finds them.
 */
export async function pluginsFromArgs(values: Record<string, unknown>, cwd: string): Promise<{ plugins: string[]; baseDir: string; configFile?: string }> {
  const config = typeof values.config === 'string' ? await loadStudyConfig(resolve(cwd, values.config)) : undefined;
  const given = (values.plugin as string[] | undefined) ?? [];
  // With a config, plugins are found from its folder: flags that are paths keep meaning the working directory's.
  const flags = config ? given.map((plugin) => (existsSync(resolve(cwd, plugin)) ? resolve(cwd, plugin) : plugin)) : given;
  return {
    plugins: [...(config?.config.plugins ?? []), ...flags],
    baseDir: config?.baseDir ?? cwd,
    ...(config ? { configFile: config.file } : {}),
  };
}

/** The flags every command that lists or describes plugins takes. */
export const PLUGIN_SOURCE_OPTIONS: CliCommand['options'] = {
  plugin: { type: 'string', multiple: true, value: '<module>', description: 'Also load this plugin (npm package or path); repeatable' },
  config: { type: 'string', value: '<study.json>', description: "Also load the config's plugins" },
};

export const command: CliCommand = {
  name: 'plugins',
  summary: 'List every loaded contribution (backends, datasets, metrics, judges, providers, stages, reporters) with its package and options',
  usage: 'judgekit plugins [--plugin <module> ...] [--config <study.json>] [--kind <kind>] [--json]',
  options: {
    ...PLUGIN_SOURCE_OPTIONS,
    kind: { type: 'string', value: '<kind>', description: 'Only this kind: backend, dataset, metric, judge, chat-provider, stage, reporter' },
    json: { type: 'boolean', description: 'Print JSON, options schemas included' },
  },
  async run(args, io) {
    const { registry } = await assembleJudgekit(await pluginsFromArgs(args.values, io.cwd));
    const kind = stringOption(args, 'kind');
    const entries = registry.list().filter((entry) => kind === undefined || entry.kind === kind);
    if (args.values.json === true) {
      const json = entries.map(({ kind: k, id, description, source, replaces, optionsSchema }) => ({ kind: k, id, description, package: source.package, version: source.version ?? null, ...(replaces ? { replaces: formatSource(replaces) } : {}), optionsSchema: optionsSchema ?? null }));
      io.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    } else io.stdout.write(table(entries));
    return 0;
  },
};

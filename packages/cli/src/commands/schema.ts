// `judgekit schema`: the study config's JSON Schema with every loaded plugin's ids and options merged in, for
// editors (`"$schema": "./judgekit.schema.json"` in a study config).
import { configSchemaWithPlugins } from '@judgekit/core';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { stringOption, type CliCommand } from '../cli-command.js';
import { assembleJudgekit } from '../builtin-plugins.js';
import { PLUGIN_SOURCE_OPTIONS, pluginsFromArgs } from './plugins.js';

export const command: CliCommand = {
  name: 'schema',
  summary: "Write the study config's JSON Schema with every loaded plugin's ids and options merged in",
  usage: 'judgekit schema [--plugin <module> ...] [--config <study.json>] [--out <file>]',
  options: {
    ...PLUGIN_SOURCE_OPTIONS,
    out: { type: 'string', short: 'o', value: '<file>', description: 'Write here instead of standard output' },
  },
  async run(args, io) {
    const { registry } = await assembleJudgekit(await pluginsFromArgs(args.values, io.cwd));
    const text = `${JSON.stringify(configSchemaWithPlugins(registry), null, 2)}\n`;
    const out = stringOption(args, 'out');
    if (out) {
      await writeFile(resolve(io.cwd, out), text);
      io.stdout.write(`wrote ${resolve(io.cwd, out)}\n`);
    } else io.stdout.write(text);
    return 0;
  },
};

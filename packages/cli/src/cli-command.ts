// The shape of one `judgekit <command>`: options declared once, parsed with node:util parseArgs, and the
// same declaration prints --help.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { JudgekitError } from '@judgekit/core';

export interface CliOption {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Shown in --help, e.g. `<dir>`. */
  value?: string;
  description: string;
  default?: string | boolean;
}

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream | NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  signal?: AbortSignal;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export interface CliCommand {
  name: string;
  summary: string;
  usage: string;
  options: Record<string, CliOption>;
  /** Returns the process exit code. */
  run(args: ParsedArgs, io: CliIo): Promise<number>;
}

export function parseCommandArgs(command: CliCommand, argv: string[]): ParsedArgs {
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, option] of Object.entries(command.options)) {
    options[name] = {
      type: option.type,
      ...(option.short ? { short: option.short } : {}),
      ...(option.multiple ? { multiple: true } : {}),
      ...(option.default !== undefined ? { default: option.default as string & boolean } : {}),
    };
  }
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: values as ParsedArgs['values'], positionals };
  } catch (error) {
    throw new JudgekitError('usage', `${(error as Error).message}\nRun \`judgekit ${command.name} --help\` for the options.`);
  }
}

export function formatCommandHelp(command: CliCommand): string {
  const lines = [`Usage: ${command.usage}`, '', command.summary, '', 'Options:'];
  const entries = Object.entries(command.options).map(([name, option]) => {
    const flag = `${option.short ? `-${option.short}, ` : '    '}--${name}${option.value ? ` ${option.value}` : ''}`;
    const fallback = option.default !== undefined && option.default !== false ? ` (default: ${String(option.default)})` : '';
    return [flag, `${option.description}${fallback}`] as const;
  });
  entries.push(['-h, --help', 'Show this help']);
  const width = Math.max(...entries.map(([flag]) => flag.length));
  for (const [flag, text] of entries) lines.push(`  ${flag.padEnd(width)}  ${text}`);
  return `${lines.join('\n')}\n`;
}

/** Read a string option, or a default. */
export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === 'string' ? value : undefined;
}

/** Read an integer option with a clear error for junk. */
export function integerOption(args: ParsedArgs, name: string, fallback?: number, minimum = Number.MIN_SAFE_INTEGER): number | undefined {
  const raw = stringOption(args, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < minimum) {
    throw new JudgekitError('usage', `--${name} must be an integer${minimum > Number.MIN_SAFE_INTEGER ? ` >= ${minimum}` : ''}, got "${raw}".`);
  }
  return value;
}

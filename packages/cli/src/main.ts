// `judgekit <command> [options]`: dispatch, --help, and one place that turns errors into exit codes.
import { JudgekitError, scrubSecrets } from '@judgekit/core';
import { formatCommandHelp, parseCommandArgs, type CliIo } from './cli-command.js';
import { commandLoaders } from './commands/index.js';

const VERSION = '0.1.0';

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(await formatMainHelp());
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const load = commandLoaders[name];
  if (!load) {
    io.stderr.write(`judgekit: unknown command "${name}". Commands: ${Object.keys(commandLoaders).join(', ')}. Run \`judgekit --help\`.\n`);
    return 2;
  }
  const command = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(formatCommandHelp(command));
    return 0;
  }
  try {
    return await command.run(parseCommandArgs(command, rest), io);
  } catch (error) {
    // Errors quote what they failed on: a URL with its `?key=`, a server's reply echoing a key. Never print those.
    if (JudgekitError.is(error)) {
      io.stderr.write(`judgekit ${name}: ${scrubSecrets(error.message)}\n`);
      return error.kind === 'usage' ? 2 : 1;
    }
    io.stderr.write(`judgekit ${name}: unexpected error: ${scrubSecrets((error as Error)?.stack ?? String(error))}\n`);
    return 1;
  }
}

async function formatMainHelp(): Promise<string> {
  const lines = ['Usage: judgekit <command> [options]', '', 'Commands:'];
  const commands = await Promise.all(Object.values(commandLoaders).map((load) => load()));
  const width = Math.max(0, ...commands.map((c) => c.name.length));
  for (const command of commands) lines.push(`  ${command.name.padEnd(width)}  ${command.summary}`);
  lines.push('', 'Run `judgekit <command> --help` for the options of a command.');
  return `${lines.join('\n')}\n`;
}

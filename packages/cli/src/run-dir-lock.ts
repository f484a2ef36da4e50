// The commands that write into a run directory hold its lock while they do (core's run-lock): a second process
// on the same directory stops with a message instead of paying for the same calls and mixing its writes in.
import { acquireRunLock, scrubSecrets, type RunLock } from '@judgekit/core';
import type { CliIo, CliOption, ParsedArgs } from './cli-command.js';

export const FORCE_LOCK_OPTION: CliOption = {
  type: 'boolean',
  description: 'Take the run directory lock even from a process that looks alive (only when you are sure it is not running)',
};

/** The command line as the user typed it when this is the CLI process, else the command's name; never secrets. */
function invocation(commandName: string): string {
  const argv = process.argv.slice(2);
  const line = argv[0] === commandName ? `judgekit ${argv.join(' ')}` : `judgekit ${commandName}`;
  const scrubbed = scrubSecrets(line);
  return scrubbed.length > 500 ? `${scrubbed.slice(0, 500)}...` : scrubbed;
}

/** Lock `dir` (or, with `name`, one part of it) for `commandName`; `--force-lock` takes it over from a live holder. */
export function lockRunDirectory(dir: string, commandName: string, args: ParsedArgs, io: CliIo, name?: string): Promise<RunLock> {
  return acquireRunLock(dir, {
    command: invocation(commandName),
    force: args.values['force-lock'] === true,
    ...(name !== undefined ? { name } : {}),
    notify: (message) => io.stderr.write(`judgekit ${commandName}: ${message}\n`),
  });
}

// `judgekit queue status --queue redis://host:port`: the queue's job counts and live workers.
import { JudgekitError } from '@judgekit/core';
import { formatQueueStatus, queueStatus } from '@judgekit/queue';
import { stringOption, type CliCommand } from '../cli-command.js';

export const command: CliCommand = {
  name: 'queue',
  summary: "Show the work queue's state (units waiting, active, completed, failed; workers)",
  usage: 'judgekit queue status --queue redis://host:port [--json]',
  options: {
    queue: { type: 'string', value: '<redis://host:port>', description: 'The Redis the coordinators enqueue to' },
    json: { type: 'boolean', description: 'Print JSON instead of text' },
  },
  async run(args, io) {
    const [action] = args.positionals;
    if (action !== 'status') throw new JudgekitError('usage', `Unknown queue action "${action ?? ''}". Should be: status.`);
    const url = stringOption(args, 'queue');
    if (!url) throw new JudgekitError('usage', '--queue redis://host:port is required.');
    const status = await queueStatus(url);
    io.stdout.write(args.values.json === true ? `${JSON.stringify(status, null, 2)}\n` : formatQueueStatus(status));
    return 0;
  },
};

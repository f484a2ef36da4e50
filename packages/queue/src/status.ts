// `judgekit queue status`: the queues' job counts and live workers (judge units; model units such as loss).
import { Queue } from 'bullmq';
import { assertRedisReachable, JUDGE_QUEUE, redisConnection } from './connection.js';
import { MODEL_QUEUE } from './model-units.js';

export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;

export interface QueueCounts {
  queue: string;
  counts: Record<(typeof QUEUE_STATES)[number], number>;
  workers: number;
}

/** The judge queue's counts at the top level (as before), the model queue's under `model`. */
export interface QueueStatus extends QueueCounts {
  model: QueueCounts;
}

async function countsOf(url: string, name: string): Promise<QueueCounts> {
  const queue = new Queue(name, { connection: redisConnection(url) });
  try {
    const counts = (await queue.getJobCounts(...QUEUE_STATES)) as QueueCounts['counts'];
    return { queue: name, counts, workers: await queue.getWorkersCount() };
  } finally {
    await queue.close();
  }
}

export async function queueStatus(url: string): Promise<QueueStatus> {
  await assertRedisReachable(url);
  const [judge, model] = await Promise.all([countsOf(url, JUDGE_QUEUE), countsOf(url, MODEL_QUEUE)]);
  return { ...judge, model };
}

export function formatQueueStatus(status: QueueStatus): string {
  const lines: string[] = [];
  for (const one of [status, status.model]) {
    lines.push(`queue ${one.queue}: ${one.workers} worker${one.workers === 1 ? '' : 's'}`);
    for (const state of QUEUE_STATES) lines.push(`  ${state.padEnd(11)} ${one.counts[state] ?? 0}`);
  }
  return `${lines.join('\n')}\n`;
}

// `judgekit queue status`: the queue's job counts and live workers.
import { Queue } from 'bullmq';
import { assertRedisReachable, JUDGE_QUEUE, redisConnection } from './connection.js';

export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;

export interface QueueStatus {
  queue: string;
  counts: Record<(typeof QUEUE_STATES)[number], number>;
  workers: number;
}

export async function queueStatus(url: string): Promise<QueueStatus> {
  await assertRedisReachable(url);
  const queue = new Queue(JUDGE_QUEUE, { connection: redisConnection(url) });
  try {
    const counts = (await queue.getJobCounts(...QUEUE_STATES)) as QueueStatus['counts'];
    return { queue: JUDGE_QUEUE, counts, workers: await queue.getWorkersCount() };
  } finally {
    await queue.close();
  }
}

export function formatQueueStatus(status: QueueStatus): string {
  const lines = [`queue ${status.queue}: ${status.workers} worker${status.workers === 1 ? '' : 's'}`];
  for (const state of QUEUE_STATES) lines.push(`  ${state.padEnd(11)} ${status.counts[state] ?? 0}`);
  return `${lines.join('\n')}\n`;
}

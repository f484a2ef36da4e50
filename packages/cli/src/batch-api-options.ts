// `judgekit judge --execution batch-api`: the flags, and the step that sends a run's calls as provider batches
// before the judge runs (see executeBatches in @judgekit/core). Kept out of commands/judge.ts.
import { BATCH_FAILED_POLICIES, BATCH_PRICE_FACTOR, batchPrice, batchRunRecord, executeBatchesWith, JudgekitError, type BatchFailedPolicy, type BatchSettings, type JudgeRunOptions, type JudgeRunPlan, type KeyValueCache } from '@judgekit/core';
import { integerOption, stringOption, type CliOption, type ParsedArgs } from './cli-command.js';

export const EXECUTIONS = ['live', 'batch-api'] as const;
export type Execution = (typeof EXECUTIONS)[number];

export const BATCH_API_OPTIONS: Record<string, CliOption> = {
  execution: { type: 'string', value: '<live|batch-api>', description: "live: calls at --concurrency; batch-api: the provider's batch API (OpenAI Batch, Anthropic Message Batches): half price, up to 24 h, resumable", default: 'live' },
  'batch-failed': { type: 'string', value: '<batch|live>', description: 'batch-api: requests that failed or expired in a batch go to a follow-up batch or a live call', default: 'batch' },
  'batch-poll-ms': { type: 'string', value: '<ms>', description: 'batch-api: time between polls of a batch', default: '30000' },
  'batch-rounds': { type: 'string', value: '<n>', description: 'batch-api: batch rounds at most (first asks, re-asks, follow-ups); calls still missing then are made live', default: '4' },
  'batch-max-requests': { type: 'string', value: '<n>', description: "batch-api: requests per batch (default the provider's: OpenAI 50,000, Anthropic 100,000)" },
  'batch-max-bytes': { type: 'string', value: '<n>', description: "batch-api: bytes per batch (default the provider's: OpenAI 200 MB, Anthropic 256 MB)" },
};

export function readExecution(args: ParsedArgs): { execution: Execution; batch: BatchSettings } {
  const execution = (stringOption(args, 'execution') ?? 'live') as Execution;
  if (!EXECUTIONS.includes(execution)) throw new JudgekitError('usage', `Unsupported --execution "${execution}". Should be one of: ${EXECUTIONS.join(', ')}.`);
  const failed = (stringOption(args, 'batch-failed') ?? 'batch') as BatchFailedPolicy;
  if (!BATCH_FAILED_POLICIES.includes(failed)) throw new JudgekitError('usage', `Unsupported --batch-failed "${failed}". Should be one of: ${BATCH_FAILED_POLICIES.join(', ')}.`);
  const maxRequests = integerOption(args, 'batch-max-requests', undefined, 1);
  const maxBytes = integerOption(args, 'batch-max-bytes', undefined, 1);
  return {
    execution,
    batch: {
      failed,
      pollMs: integerOption(args, 'batch-poll-ms', 30_000, 1) as number,
      maxRounds: integerOption(args, 'batch-rounds', 4, 1) as number,
      ...(maxRequests !== undefined ? { maxRequests } : {}),
      ...(maxBytes !== undefined ? { maxBytes } : {}),
    },
  };
}

function usd(value: number): string {
  return `$${value < 0.01 && value > 0 ? value.toFixed(4) : value.toFixed(2)}`;
}

/** The dry run's batch price line: the estimate at the batch price (50% of live). */
export function formatBatchPlan(plan: JudgeRunPlan): string {
  if (!plan.price || plan.estimatedCostUsd === null) return 'batch API cost: unknown (no price for this model; pass --prices <file>)\n';
  const price = batchPrice(plan.price);
  return `batch API cost: ${usd(plan.estimatedCostUsd * BATCH_PRICE_FACTOR)} at $${price.input}/$${price.output} per 1M input/output tokens (${BATCH_PRICE_FACTOR * 100}% of live ${usd(plan.estimatedCostUsd)}); results within 24 h\n`;
}

/**
 * Sends the run's missing calls as provider batches and waits for them (resuming the run directory's recorded
 * batches first). Returns what run.json records, or 'interrupted' when the user stopped it while polling.
 */
export async function sendRunAsBatches(run: JudgeRunOptions, cache: KeyValueCache, settings: BatchSettings, io: { stderr: NodeJS.WritableStream; signal?: AbortSignal }): Promise<Record<string, unknown> | 'interrupted'> {
  const sent = await executeBatchesWith(run, cache, settings, { ...(run.notify ? { notify: run.notify } : {}), ...(io.signal ? { signal: io.signal } : {}) });
  if (sent.interrupted) {
    io.stderr.write(`judgekit judge: interrupted while waiting for provider batches; they go on at the provider. Rerun the same command to resume them (\`judgekit batches ${run.outDir}\` lists them, --cancel cancels them).\n`);
    return 'interrupted';
  }
  if (sent.batches > 0) {
    const cost = sent.costUsd === null ? 'unknown (no price for this model; pass --prices <file>)' : `${usd(sent.costUsd)} at the batch price`;
    io.stderr.write(
      `judgekit judge: provider batches: ${sent.batches} (${sent.submitted} submitted now) in ${sent.rounds} round${sent.rounds === 1 ? '' : 's'}; ${sent.requests} requests, ${sent.succeeded} answered, ${sent.failed} failed or expired; ` +
        `tokens: ${sent.tokenUsage.prompt} prompt + ${sent.tokenUsage.completion} completion; cost: ${cost}\n`,
    );
  }
  return batchRunRecord(sent);
}

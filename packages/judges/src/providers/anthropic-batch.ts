// Anthropic's Message Batches through `@anthropic-ai/sdk`: client.messages.batches.create with
// `requests: [{custom_id, params}]`, retrieve (processing_status in_progress|canceling|ended), results (JSONL of
// succeeded|errored|expired|canceled), cancel and list.
import { JudgekitError, type BatchInfo, type BatchLimits, type BatchRequest, type BatchResult, type ChatBatchApi, type ChatErrorKind, type ChatRequest, type ChatResponse } from '@judgekit/core';
import { readAnthropicMessage } from './anthropic-provider.js';
import { chatErrorFromSdk } from './sdk-error.js';

/** Anthropic's limits per Message Batch: 100,000 requests, 256 MB. */
export const ANTHROPIC_BATCH_LIMITS: BatchLimits = { maxRequests: 100_000, maxBytes: 256 * 1024 * 1024 };

type AnthropicClient = InstanceType<(typeof import('@anthropic-ai/sdk'))['default']>;

export interface AnthropicBatchHost {
  readonly apiKey: string;
  client(): Promise<AnthropicClient>;
  messageBody(request: ChatRequest): import('@anthropic-ai/sdk/resources/messages/messages').MessageCreateParamsNonStreaming;
}

interface MessageBatchLike {
  id: string;
  processing_status: string;
  created_at?: string;
  request_counts?: { processing?: number; succeeded?: number; errored?: number; canceled?: number; expired?: number };
}

function info(batch: MessageBatchLike): BatchInfo {
  const counts = batch.request_counts;
  return {
    id: batch.id,
    status: batch.processing_status,
    done: batch.processing_status === 'ended',
    ...(counts
      ? { counts: { total: (counts.processing ?? 0) + (counts.succeeded ?? 0) + (counts.errored ?? 0) + (counts.canceled ?? 0) + (counts.expired ?? 0), succeeded: counts.succeeded ?? 0, failed: (counts.errored ?? 0) + (counts.canceled ?? 0) + (counts.expired ?? 0) } }
      : {}),
    ...(batch.created_at ? { createdAt: batch.created_at } : {}),
  };
}

function kindOfErrorType(type: string | undefined): ChatErrorKind {
  if (type === 'rate_limit_error') return 'rate-limit';
  if (type === 'api_error' || type === 'overloaded_error') return 'server';
  if (type === 'authentication_error' || type === 'permission_error') return 'auth';
  return 'bad-request';
}

export class AnthropicBatchApi implements ChatBatchApi {
  readonly limits: BatchLimits;

  constructor(
    private readonly host: AnthropicBatchHost,
    limits: Partial<BatchLimits> = {},
  ) {
    this.limits = { ...ANTHROPIC_BATCH_LIMITS, ...limits };
  }

  encodedSize(request: BatchRequest): number {
    return Buffer.byteLength(JSON.stringify({ custom_id: request.customId, params: this.host.messageBody(request.request) })) + 1;
  }

  async #sdk<T>(what: string, call: (client: AnthropicClient) => Promise<T>): Promise<T> {
    try {
      return await call(await this.host.client());
    } catch (error) {
      if (error instanceof JudgekitError) throw error;
      throw new JudgekitError('provider', `${what}: ${chatErrorFromSdk(error, 'anthropic', undefined, this.host.apiKey).message}`, { cause: error });
    }
  }

  async submit(requests: readonly BatchRequest[]): Promise<BatchInfo> {
    const batch = await this.#sdk('anthropic message batch: creating', (client) =>
      client.messages.batches.create({ requests: requests.map((request) => ({ custom_id: request.customId, params: this.host.messageBody(request.request) })) }),
    );
    return info(batch);
  }

  async retrieve(id: string): Promise<BatchInfo> {
    return info(await this.#sdk(`anthropic message batch ${id}: retrieving`, (client) => client.messages.batches.retrieve(id)));
  }

  async cancel(id: string): Promise<BatchInfo> {
    return info(await this.#sdk(`anthropic message batch ${id}: cancelling`, (client) => client.messages.batches.cancel(id)));
  }

  async list(): Promise<BatchInfo[]> {
    return this.#sdk('anthropic message batch: listing', async (client) => {
      const batches: BatchInfo[] = [];
      for await (const batch of client.messages.batches.list({ limit: 100 })) batches.push(info(batch));
      return batches;
    });
  }

  async results(id: string): Promise<BatchResult[]> {
    return this.#sdk(`anthropic message batch ${id}: reading the results`, async (client) => {
      const results: BatchResult[] = [];
      for await (const line of await client.messages.batches.results(id)) results.push({ customId: line.custom_id, response: this.#response(line.result) });
      return results;
    });
  }

  #response(result: { type: string; message?: unknown; error?: unknown }): ChatResponse {
    if (result.type === 'succeeded' && result.message) return { ...readAnthropicMessage(result.message as Parameters<typeof readAnthropicMessage>[0]), latencyMs: 0 };
    const inner = (result.error as { error?: { type?: string; message?: string } } | undefined)?.error;
    const kind: ChatErrorKind = result.type === 'errored' ? kindOfErrorType(inner?.type) : result.type === 'expired' ? 'timeout' : 'aborted';
    return { error: { kind, message: `anthropic message batch: ${result.type}${inner?.message ? `: ${inner.message}` : ''}` }, tokenUsage: { prompt: 0, completion: 0 }, latencyMs: 0 };
  }
}

// OpenAI's Batch API through the `openai` SDK: the requests as a JSONL file uploaded with purpose "batch"
// (client.files.create), a batch over /v1/chat/completions with a 24h window (client.batches.create), polled with
// client.batches.retrieve, and the output and error files read with client.files.content.
import { JudgekitError, type BatchInfo, type BatchLimits, type BatchRequest, type BatchResult, type ChatBatchApi, type ChatErrorKind, type ChatRequest, type ChatResponse } from '@judgekit/core';
import { chatErrorFromSdk } from './sdk-error.js';

/** OpenAI's limits per batch input file: 50,000 requests, 200 MB. */
export const OPENAI_BATCH_LIMITS: BatchLimits = { maxRequests: 50_000, maxBytes: 200 * 1024 * 1024 };

const DONE = new Set(['completed', 'failed', 'expired', 'cancelled']);

type OpenAiClient = InstanceType<(typeof import('openai'))['default']>;

export interface OpenAiBatchHost {
  readonly api: string;
  client(): Promise<OpenAiClient>;
  chatBody(request: ChatRequest): unknown;
  readChatCompletion(body: unknown): Omit<ChatResponse, 'latencyMs'>;
  readonly apiKey: string;
}

function kindOfStatus(status: number): ChatErrorKind {
  if (status === 429) return 'rate-limit';
  if (status >= 500) return 'server';
  if (status === 401 || status === 403) return 'auth';
  return 'bad-request';
}

interface OutputLine {
  custom_id?: string;
  response?: { status_code?: number; body?: unknown } | null;
  error?: { code?: string; message?: string } | null;
}

function info(batch: { id: string; status: string; created_at?: number; request_counts?: { total?: number; completed?: number; failed?: number }; errors?: { data?: Array<{ message?: string; line?: number | null }> } }): BatchInfo {
  const errors = batch.errors?.data?.map((error) => `${error.line != null ? `line ${error.line}: ` : ''}${error.message ?? ''}`).join('; ');
  return {
    id: batch.id,
    status: batch.status,
    done: DONE.has(batch.status),
    ...(batch.request_counts ? { counts: { total: batch.request_counts.total, succeeded: batch.request_counts.completed, failed: batch.request_counts.failed } } : {}),
    ...(batch.created_at ? { createdAt: new Date(batch.created_at * 1000).toISOString() } : {}),
    ...(errors ? { error: errors } : {}),
  };
}

export class OpenAiBatchApi implements ChatBatchApi {
  readonly limits: BatchLimits;

  constructor(
    private readonly host: OpenAiBatchHost,
    limits: Partial<BatchLimits> = {},
  ) {
    this.limits = { ...OPENAI_BATCH_LIMITS, ...limits };
  }

  #line(request: BatchRequest): string {
    return JSON.stringify({ custom_id: request.customId, method: 'POST', url: '/v1/chat/completions', body: this.host.chatBody(request.request) });
  }

  encodedSize(request: BatchRequest): number {
    return Buffer.byteLength(this.#line(request)) + 1;
  }

  async #sdk<T>(what: string, call: (client: OpenAiClient) => Promise<T>): Promise<T> {
    try {
      return await call(await this.host.client());
    } catch (error) {
      if (error instanceof JudgekitError) throw error;
      throw new JudgekitError('provider', `${what}: ${chatErrorFromSdk(error, 'openai', undefined, this.host.apiKey).message}`, { cause: error });
    }
  }

  async submit(requests: readonly BatchRequest[], options: { label?: string } = {}): Promise<BatchInfo> {
    if (this.host.api !== 'chat') throw new JudgekitError('usage', 'openai batch API: only the chat api is sent as batches (--api chat).');
    const jsonl = `${requests.map((request) => this.#line(request)).join('\n')}\n`;
    const { toFile } = await import('openai');
    const file = await this.#sdk('openai batch: uploading the input file', async (client) => client.files.create({ file: await toFile(Buffer.from(jsonl, 'utf8'), 'judgekit-batch.jsonl'), purpose: 'batch' }));
    const batch = await this.#sdk('openai batch: creating the batch', (client) =>
      client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', ...(options.label ? { metadata: { judgekit: options.label } } : {}) }),
    );
    return info(batch);
  }

  async retrieve(id: string): Promise<BatchInfo> {
    return info(await this.#sdk(`openai batch ${id}: retrieving`, (client) => client.batches.retrieve(id)));
  }

  async cancel(id: string): Promise<BatchInfo> {
    return info(await this.#sdk(`openai batch ${id}: cancelling`, (client) => client.batches.cancel(id)));
  }

  async list(): Promise<BatchInfo[]> {
    return this.#sdk('openai batch: listing', async (client) => {
      const batches: BatchInfo[] = [];
      for await (const batch of client.batches.list({ limit: 100 })) batches.push(info(batch));
      return batches;
    });
  }

  async find(label: string): Promise<BatchInfo | undefined> {
    return this.#sdk('openai batch: looking for a batch by label', async (client) => {
      for await (const batch of client.batches.list({ limit: 100 })) if (batch.metadata?.judgekit === label) return info(batch);
      return undefined;
    });
  }

  async results(id: string): Promise<BatchResult[]> {
    const batch = await this.#sdk(`openai batch ${id}: retrieving`, (client) => client.batches.retrieve(id));
    const results: BatchResult[] = [];
    for (const [fileId, which] of [
      [batch.output_file_id, 'output'],
      [batch.error_file_id, 'error'],
    ] as const) {
      if (!fileId) continue;
      const text = await this.#sdk(`openai batch ${id}: reading the ${which} file ${fileId}`, async (client) => (await client.files.content(fileId)).text());
      for (const [n, raw] of text.split('\n').entries()) {
        if (raw.trim() === '') continue;
        let line: OutputLine;
        try {
          line = JSON.parse(raw) as OutputLine;
        } catch {
          throw new JudgekitError('provider', `openai batch ${id}: ${which} file ${fileId} line ${n + 1} is not JSON.`);
        }
        if (typeof line.custom_id !== 'string') continue;
        results.push({ customId: line.custom_id, response: this.#response(line) });
      }
    }
    return results;
  }

  #response(line: OutputLine): ChatResponse {
    const status = line.response?.status_code;
    if (line.response && status !== undefined && status >= 200 && status < 300) return { ...this.host.readChatCompletion(line.response.body), latencyMs: 0 };
    const bodyError = (line.response?.body as { error?: { message?: string } } | undefined)?.error?.message;
    const message = `openai batch: ${line.error?.code ?? (status !== undefined ? `status ${status}` : 'failed')}: ${line.error?.message ?? bodyError ?? 'no reply'}`;
    return { error: { kind: status !== undefined ? kindOfStatus(status) : line.error?.code === 'batch_expired' ? 'timeout' : 'server', message, ...(status !== undefined ? { status } : {}) }, tokenUsage: { prompt: 0, completion: 0 }, latencyMs: 0 };
  }
}

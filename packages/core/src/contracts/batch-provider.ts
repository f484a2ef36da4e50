// A chat provider that can also take work as a provider batch (OpenAI's Batch API, Anthropic's Message Batches):
// half the price, outside the live rate limits, answered within 24 hours. Plugin providers implement `batch` to
// take part in `--execution batch-api`.
import type { ChatModelProvider, ChatRequest, ChatResponse } from './chat-model-provider.js';

/** One request of a batch; `customId` is how its result is found again (unique within the batch, [A-Za-z0-9_-]{1,64}). */
export interface BatchRequest {
  customId: string;
  request: ChatRequest;
}

/** What one provider batch may hold: requests and bytes of the encoded input. */
export interface BatchLimits {
  maxRequests: number;
  maxBytes: number;
}

/** Where a provider batch stands, in the provider's words (`status`) and judgekit's (`done`). */
export interface BatchInfo {
  id: string;
  /** The provider's status: OpenAI validating|in_progress|finalizing|completed|failed|expired|cancelling|cancelled; Anthropic in_progress|canceling|ended. */
  status: string;
  /** No more change will come: results (if any) can be downloaded. */
  done: boolean;
  counts?: { total?: number; succeeded?: number; failed?: number };
  createdAt?: string;
  /** Why the whole batch failed, when it did (e.g. a validation error). */
  error?: string;
}

/** One request's result: a reply, or an error (`expired`, `canceled`, the provider's error...). */
export interface BatchResult {
  customId: string;
  response: ChatResponse;
}

export interface ChatBatchApi {
  readonly limits: BatchLimits;
  /** Bytes that `request` takes in the batch input (for splitting under `limits.maxBytes`). */
  encodedSize(request: BatchRequest): number;
  /** Submit one batch (within the limits). `label` is recorded with the batch where the provider keeps metadata. */
  submit(requests: readonly BatchRequest[], options?: { label?: string }): Promise<BatchInfo>;
  retrieve(id: string): Promise<BatchInfo>;
  /** Every request's result of a finished batch (requests never run come back as errors or are missing). */
  results(id: string): Promise<BatchResult[]>;
  cancel(id: string): Promise<BatchInfo>;
  /**
   * The batch submitted with this `label`, where the provider keeps it (OpenAI's batch metadata), so a batch whose
   * id was lost to a kill right after it was created is found instead of submitted again. Optional.
   */
  find?(label: string): Promise<BatchInfo | undefined>;
}

export interface BatchCapableProvider extends ChatModelProvider {
  readonly batch: ChatBatchApi;
}

export function isBatchCapable(provider: ChatModelProvider | undefined): provider is BatchCapableProvider {
  const batch = (provider as Partial<BatchCapableProvider> | undefined)?.batch;
  return typeof batch === 'object' && batch !== null && typeof batch.submit === 'function' && typeof batch.results === 'function';
}

/** Split requests into batches within `limits`, in order. A request bigger than `maxBytes` on its own is an error. */
export function splitIntoBatches<T>(requests: readonly T[], sizeOf: (request: T) => number, limits: BatchLimits): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const request of requests) {
    const size = sizeOf(request);
    if (size > limits.maxBytes) throw new Error(`one batch request takes ${size} bytes, more than the provider's ${limits.maxBytes} bytes per batch`);
    if (current.length > 0 && (current.length >= limits.maxRequests || bytes + size > limits.maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(request);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

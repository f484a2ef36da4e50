// Anthropic through the official `@anthropic-ai/sdk` (Messages API). The SDK is imported on first use.
import { JudgekitError, type ChatModelProvider, type ChatModelProviderFactory, type ChatModelProviderOptions, type ChatRequest, type ChatResponse } from '@judgekit/core';
import { AnthropicBatchApi } from './anthropic-batch.js';
import { providerVersions } from './package-versions.js';
import { chatErrorFromSdk } from './sdk-error.js';

export interface AnthropicProviderOptions extends ChatModelProviderOptions {
  /** Default: ANTHROPIC_BASE_URL, else https://api.anthropic.com. */
  baseURL?: string;
  /** Messages API requires max_tokens; used when a request sets none. Default 1024. */
  defaultMaxTokens?: number;
  env?: NodeJS.ProcessEnv;
  /** Requests per Message Batch (`--execution batch-api`). Default and maximum 100,000. */
  batchMaxRequests?: number;
  /** Bytes per Message Batch. Default and maximum 256 MB. */
  batchMaxBytes?: number;
}

const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';

type AnthropicClient = InstanceType<(typeof import('@anthropic-ai/sdk'))['default']>;

export class AnthropicProvider implements ChatModelProvider {
  readonly id = 'anthropic';
  readonly cacheIdentity: Record<string, unknown>;
  readonly baseURL: string;
  readonly #apiKey: string;
  readonly #defaultMaxTokens: number;
  readonly #timeoutMs: number | undefined;
  #client: Promise<AnthropicClient> | undefined;
  /** Message Batches for `--execution batch-api`. */
  readonly batch: AnthropicBatchApi;

  constructor(options: AnthropicProviderOptions = {}) {
    const env = options.env ?? process.env;
    this.baseURL = (options.baseURL || env.ANTHROPIC_BASE_URL || ANTHROPIC_DEFAULT_BASE_URL).replace(/\/+$/, '');
    const key = env.ANTHROPIC_API_KEY;
    if (!key && !options.keyOptional) {
      throw new JudgekitError('provider', 'ANTHROPIC_API_KEY is not set: export your Anthropic API key (and ANTHROPIC_BASE_URL for a proxy or compatible server).');
    }
    this.#apiKey = key ?? '';
    this.#defaultMaxTokens = options.defaultMaxTokens ?? 1024;
    this.#timeoutMs = options.timeoutMs;
    this.cacheIdentity = { baseURL: this.baseURL, api: 'messages' };
    this.batch = new AnthropicBatchApi(
      { apiKey: this.#apiKey, client: () => this.#getClient(), messageBody: (request) => this.messageBody(request) },
      { ...(options.batchMaxRequests ? { maxRequests: options.batchMaxRequests } : {}), ...(options.batchMaxBytes ? { maxBytes: options.batchMaxBytes } : {}) },
    );
  }

  #getClient(): Promise<AnthropicClient> {
    this.#client ??= import('@anthropic-ai/sdk').then(
      ({ default: Anthropic }) =>
        new Anthropic({ apiKey: this.#apiKey, baseURL: this.baseURL, maxRetries: 0, ...(this.#timeoutMs ? { timeout: this.#timeoutMs } : {}) }),
    );
    return this.#client;
  }

  versions(): Promise<Record<string, string>> {
    return providerVersions('@anthropic-ai/sdk');
  }

  /** The Messages API request body for `request` (also a batch request's `params`). */
  messageBody(request: ChatRequest): import('@anthropic-ai/sdk/resources/messages/messages').MessageCreateParamsNonStreaming {
    const system = request.messages.filter((m) => m.role === 'system').map((m) => m.content);
    return {
      model: request.model,
      max_tokens: request.maxTokens ?? this.#defaultMaxTokens,
      messages: request.messages.filter((m) => m.role !== 'system').map((m) => ({ role: m.role as 'user' | 'assistant', content: m.content })),
      ...(system.length > 0 ? { system: system.join('\n\n') } : {}),
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    };
  }

  async complete(request: ChatRequest): Promise<ChatResponse> {
    const started = performance.now();
    try {
      const client = await this.#getClient();
      const message = await client.messages.create(this.messageBody(request), { signal: request.signal ?? null, maxRetries: 0 });
      return { ...readAnthropicMessage(message), latencyMs: performance.now() - started };
    } catch (error) {
      return { error: chatErrorFromSdk(error, this.id, request.signal, this.#apiKey), tokenUsage: { prompt: 0, completion: 0 }, latencyMs: performance.now() - started };
    }
  }
}

/** A Messages API reply (live or a batch result's `message`) as a ChatResponse. */
export function readAnthropicMessage(message: { content: Array<{ type: string; text?: string }>; usage: { input_tokens: number; output_tokens: number } }): Omit<ChatResponse, 'latencyMs'> {
  const output = message.content
    .filter((block) => block.type === 'text')
    .map((block) => block.text ?? '')
    .join('');
  return { output, tokenUsage: { prompt: message.usage.input_tokens, completion: message.usage.output_tokens } };
}

export const anthropicProviderFactory: ChatModelProviderFactory = {
  id: 'anthropic',
  description: 'Anthropic Messages API (ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL).',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      baseURL: { type: 'string' },
      defaultMaxTokens: { type: 'integer', minimum: 1, description: 'max_tokens when a request sets none (default 1024).' },
      batchMaxRequests: { type: 'integer', minimum: 1, maximum: 100000, description: 'Requests per Message Batch with execution batch-api (default 100,000).' },
      batchMaxBytes: { type: 'integer', minimum: 1, maximum: 268435456, description: 'Bytes per Message Batch with execution batch-api (default 256 MB).' },
    },
  },
  create: (options?: ChatModelProviderOptions) => new AnthropicProvider(options as AnthropicProviderOptions),
};

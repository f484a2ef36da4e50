// Anthropic through the official `@anthropic-ai/sdk` (Messages API). The SDK is imported on first use.
import { JudgekitError, type ChatModelProvider, type ChatModelProviderFactory, type ChatModelProviderOptions, type ChatRequest, type ChatResponse } from '@judgekit/core';
import { providerVersions } from './package-versions.js';
import { chatErrorFromSdk } from './sdk-error.js';

export interface AnthropicProviderOptions extends ChatModelProviderOptions {
  /** Default: ANTHROPIC_BASE_URL, else https://api.anthropic.com. */
  baseURL?: string;
  /** Messages API requires max_tokens; used when a request sets none. Default 1024. */
  defaultMaxTokens?: number;
  env?: NodeJS.ProcessEnv;
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

  async complete(request: ChatRequest): Promise<ChatResponse> {
    const started = performance.now();
    try {
      const client = await this.#getClient();
      const system = request.messages.filter((m) => m.role === 'system').map((m) => m.content);
      const message = await client.messages.create(
        {
          model: request.model,
          max_tokens: request.maxTokens ?? this.#defaultMaxTokens,
          messages: request.messages.filter((m) => m.role !== 'system').map((m) => ({ role: m.role as 'user' | 'assistant', content: m.content })),
          ...(system.length > 0 ? { system: system.join('\n\n') } : {}),
          ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
        },
        { signal: request.signal ?? null, maxRetries: 0 },
      );
      const output = message.content
        .filter((block): block is Extract<typeof block, { type: 'text' }> => block.type === 'text')
        .map((block) => block.text)
        .join('');
      return { output, tokenUsage: { prompt: message.usage.input_tokens, completion: message.usage.output_tokens }, latencyMs: performance.now() - started };
    } catch (error) {
      return { error: chatErrorFromSdk(error, this.id, request.signal, this.#apiKey), tokenUsage: { prompt: 0, completion: 0 }, latencyMs: performance.now() - started };
    }
  }
}

export const anthropicProviderFactory: ChatModelProviderFactory = {
  id: 'anthropic',
  description: 'Anthropic Messages API (ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL).',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { baseURL: { type: 'string' }, defaultMaxTokens: { type: 'integer', minimum: 1, description: 'max_tokens when a request sets none (default 1024).' } },
  },
  create: (options?: ChatModelProviderOptions) => new AnthropicProvider(options as AnthropicProviderOptions),
};

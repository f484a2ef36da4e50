// OpenAI, and any OpenAI-compatible server, through the official `openai` SDK: Chat Completions by default
// (what compatible servers speak), the Responses API with `api: 'responses'`. The SDK is imported on first use.
import { JudgekitError, type ChatModelProvider, type ChatModelProviderFactory, type ChatModelProviderOptions, type ChatRequest, type ChatResponse, type TokenLogprob } from '@judgekit/core';
import { OpenAiBatchApi } from './openai-batch.js';
import { providerVersions } from './package-versions.js';
import { chatErrorFromSdk } from './sdk-error.js';

export type OpenAiApi = 'chat' | 'responses';

export interface OpenAiProviderOptions extends ChatModelProviderOptions {
  api?: OpenAiApi;
  /** Default: OPENAI_BASE_URL, else https://api.openai.com/v1. */
  baseURL?: string;
  /** Use `response_format: json_schema` when a request carries a schema. Default: only for api.openai.com. */
  structuredOutput?: boolean;
  /** Where to read OPENAI_API_KEY and OPENAI_BASE_URL; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Requests per batch input file (`--execution batch-api`). Default and maximum 50,000. */
  batchMaxRequests?: number;
  /** Bytes per batch input file. Default and maximum 200 MB. */
  batchMaxBytes?: number;
}

const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

type OpenAiClient = InstanceType<(typeof import('openai'))['default']>;

function isOfficial(baseURL: string): boolean {
  try {
    return new URL(baseURL).hostname === 'api.openai.com';
  } catch {
    return false;
  }
}

export class OpenAiProvider implements ChatModelProvider {
  readonly id = 'openai';
  readonly cacheIdentity: Record<string, unknown>;
  readonly api: OpenAiApi;
  readonly baseURL: string;
  readonly structuredOutput: boolean;
  /** Token log-probabilities come back from chat completions (`logprobs`, `top_logprobs`); the responses API path does not read them. */
  readonly logprobs: boolean;
  /** Set when the endpoint rejected a JSON-schema request; later requests go without (replies are validated anyway). */
  schemaRejected = false;
  readonly #apiKey: string;
  readonly #timeoutMs: number | undefined;
  #client: Promise<OpenAiClient> | undefined;
  /** The Batch API (files + batches) for `--execution batch-api`. */
  readonly batch: OpenAiBatchApi;

  constructor(options: OpenAiProviderOptions = {}) {
    const env = options.env ?? process.env;
    this.api = options.api ?? 'chat';
    if (this.api !== 'chat' && this.api !== 'responses') {
      throw new JudgekitError('config', `Unsupported OpenAI api "${String(this.api)}". Should be one of: chat, responses.`);
    }
    this.baseURL = (options.baseURL || env.OPENAI_BASE_URL || OPENAI_DEFAULT_BASE_URL).replace(/\/+$/, '');
    const official = isOfficial(this.baseURL);
    const key = env.OPENAI_API_KEY;
    if (!key && official && !options.keyOptional) {
      throw new JudgekitError('provider', 'OPENAI_API_KEY is not set: export your OpenAI API key, or set OPENAI_BASE_URL to an OpenAI-compatible server that needs none.');
    }
    // Local OpenAI-compatible servers usually ignore the key, but the SDK insists on one.
    this.#apiKey = key || 'no-key-needed';
    this.structuredOutput = options.structuredOutput ?? official;
    this.logprobs = this.api === 'chat';
    this.#timeoutMs = options.timeoutMs;
    this.cacheIdentity = { baseURL: this.baseURL, api: this.api, structuredOutput: this.structuredOutput };
    const apiKey = this.#apiKey;
    this.batch = new OpenAiBatchApi(
      { api: this.api, apiKey, client: () => this.#getClient(), chatBody: (request) => this.chatBody(request), readChatCompletion },
      { ...(options.batchMaxRequests ? { maxRequests: options.batchMaxRequests } : {}), ...(options.batchMaxBytes ? { maxBytes: options.batchMaxBytes } : {}) },
    );
  }

  #getClient(): Promise<OpenAiClient> {
    this.#client ??= import('openai').then(
      ({ default: OpenAI }) =>
        new OpenAI({ apiKey: this.#apiKey, baseURL: this.baseURL, maxRetries: 0, ...(this.#timeoutMs ? { timeout: this.#timeoutMs } : {}) }),
    );
    return this.#client;
  }

  versions(): Promise<Record<string, string>> {
    return providerVersions('openai');
  }

  async complete(request: ChatRequest): Promise<ChatResponse> {
    const started = performance.now();
    try {
      const client = await this.#getClient();
      const result = await this.#send(client, request);
      return { ...result, latencyMs: performance.now() - started };
    } catch (error) {
      return { error: chatErrorFromSdk(error, this.id, request.signal, this.#apiKey), tokenUsage: { prompt: 0, completion: 0 }, latencyMs: performance.now() - started };
    }
  }

  #sendsSchema(request: ChatRequest): boolean {
    return request.responseSchema !== undefined && this.structuredOutput && !this.schemaRejected;
  }

  async #send(client: OpenAiClient, request: ChatRequest): Promise<Omit<ChatResponse, 'latencyMs'>> {
    const call = (): Promise<Omit<ChatResponse, 'latencyMs'>> => (this.api === 'responses' ? this.#responses(client, request) : this.#chat(client, request));
    if (!this.#sendsSchema(request)) return call();
    try {
      return await call();
    } catch (error) {
      // Some models and compatible servers refuse structured outputs with a 400 naming the field: drop it for
      // this endpoint and ask again once, rather than failing every item.
      const { status, message } = error as { status?: unknown; message?: unknown };
      if (status === 400 && /response_format|json_schema|text\.format|structured/i.test(String(message))) {
        this.schemaRejected = true;
        return call();
      }
      throw error;
    }
  }

  /** The Chat Completions request body for `request` (also a batch line's body). */
  chatBody(request: ChatRequest): import('openai/resources/chat/completions').ChatCompletionCreateParamsNonStreaming {
    const official = isOfficial(this.baseURL);
    return {
      model: request.model,
      messages: request.messages,
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      ...(request.seed !== undefined ? { seed: request.seed } : {}),
      // OpenAI's newer models refuse `max_tokens`; compatible servers mostly know only `max_tokens`.
      ...(request.maxTokens !== undefined ? (official ? { max_completion_tokens: request.maxTokens } : { max_tokens: request.maxTokens }) : {}),
      ...(request.responseSchema && this.#sendsSchema(request)
        ? { response_format: { type: 'json_schema' as const, json_schema: { name: request.responseSchema.name, schema: request.responseSchema.schema, strict: true } } }
        : {}),
      // 20 is the most OpenAI allows: the score token's alternatives make the distribution.
      ...(request.logprobs ? { logprobs: true, top_logprobs: 20 } : {}),
    };
  }

  async #chat(client: OpenAiClient, request: ChatRequest): Promise<Omit<ChatResponse, 'latencyMs'>> {
    const completion = await client.chat.completions.create(this.chatBody(request), { signal: request.signal ?? null, maxRetries: 0 });
    return readChatCompletion(completion);
  }

  async #responses(client: OpenAiClient, request: ChatRequest): Promise<Omit<ChatResponse, 'latencyMs'>> {
    const system = request.messages.filter((m) => m.role === 'system').map((m) => m.content);
    const response = await client.responses.create(
      {
        model: request.model,
        input: request.messages.filter((m) => m.role !== 'system').map((m) => ({ role: m.role as 'user' | 'assistant', content: m.content })),
        ...(system.length > 0 ? { instructions: system.join('\n\n') } : {}),
        ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
        ...(request.maxTokens !== undefined ? { max_output_tokens: request.maxTokens } : {}),
        ...(request.responseSchema && this.#sendsSchema(request)
          ? { text: { format: { type: 'json_schema' as const, name: request.responseSchema.name, schema: request.responseSchema.schema, strict: true } } }
          : {}),
        store: false,
      },
      { signal: request.signal ?? null, maxRetries: 0 },
    );
    const usage = { prompt: response.usage?.input_tokens ?? 0, completion: response.usage?.output_tokens ?? 0 };
    if (response.status && response.status !== 'completed') {
      return { error: { kind: 'bad-response', message: `openai: response status ${response.status}${response.incomplete_details?.reason ? ` (${response.incomplete_details.reason})` : ''}` }, tokenUsage: usage };
    }
    return { output: response.output_text, tokenUsage: usage };
  }
}

export const openAiProviderFactory: ChatModelProviderFactory = {
  id: 'openai',
  description: 'OpenAI and any OpenAI-compatible server (OPENAI_API_KEY, OPENAI_BASE_URL); chat completions or the responses API.',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      api: { enum: ['chat', 'responses'] },
      baseURL: { type: 'string' },
      structuredOutput: { type: 'boolean', description: 'json_schema output when a request carries a schema (default: only on api.openai.com).' },
      batchMaxRequests: { type: 'integer', minimum: 1, maximum: 50000, description: 'Requests per batch file with execution batch-api (default 50,000).' },
      batchMaxBytes: { type: 'integer', minimum: 1, maximum: 209715200, description: 'Bytes per batch file with execution batch-api (default 200 MB).' },
    },
  },
  create: (options?: ChatModelProviderOptions) => new OpenAiProvider(options as OpenAiProviderOptions),
};

/** A Chat Completions reply (live or a batch output line's body) as a ChatResponse. */
export function readChatCompletion(completion: unknown): Omit<ChatResponse, 'latencyMs'> {
  // A proxy's HTML page or a truncated body can arrive with status 200; say so instead of failing on a property.
  // Kept a transient (network) failure: such bodies usually come from a gateway in trouble, and a retry helps.
  if (typeof completion !== 'object' || completion === null || !Array.isArray((completion as { choices?: unknown }).choices)) {
    return { error: { kind: 'network', message: `openai: the server's reply is not a Chat Completions response (${describeBody(completion)}); check OPENAI_BASE_URL` }, tokenUsage: { prompt: 0, completion: 0 } };
  }
  const { choices, usage: reported } = completion as {
    choices: Array<{ message: { content?: string | null; refusal?: string | null }; logprobs?: { content?: Array<{ token: string; logprob: number; top_logprobs?: Array<{ token: string; logprob: number }> }> | null } | null }>;
    usage?: { prompt_tokens?: number; completion_tokens?: number };
  };
  const choice = choices[0];
  const usage = { prompt: reported?.prompt_tokens ?? 0, completion: reported?.completion_tokens ?? 0 };
  if (!choice) return { error: { kind: 'bad-response', message: 'openai: the reply has no choices' }, tokenUsage: usage };
  if (choice.message.refusal) return { error: { kind: 'bad-response', message: `openai: refused: ${choice.message.refusal}` }, tokenUsage: usage };
  const content = choice.logprobs?.content;
  const logprobs: TokenLogprob[] | undefined = Array.isArray(content)
    ? content.map((t) => ({ token: t.token, logprob: t.logprob, top: (t.top_logprobs ?? []).map((alt) => ({ token: alt.token, logprob: alt.logprob })) }))
    : undefined;
  return { output: choice.message.content ?? '', tokenUsage: usage, ...(logprobs ? { logprobs } : {}) };
}

/** A short, safe description of an unexpected reply body for an error message. */
function describeBody(body: unknown): string {
  if (typeof body === 'string') return `text starting ${JSON.stringify(body.slice(0, 60))}`;
  if (body === null || typeof body !== 'object') return `a ${body === null ? 'null' : typeof body}`;
  return `a JSON object with keys ${Object.keys(body).slice(0, 5).join(', ') || '(none)'}`;
}

import type { Contribution } from './contribution.js';

// A chat model that a judge talks to. Failures come back as data, never as exceptions, so a judge can
// record them per item and go on.

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  seed?: number;
  maxTokens?: number;
  /** Ask for structured output where the provider supports it (OpenAI json_schema). */
  responseSchema?: { name: string; schema: Record<string, unknown> };
  /** Ask for each reply token's log-probability and its top alternatives (OpenAI chat: `logprobs`, `top_logprobs: 20`). */
  logprobs?: boolean;
  signal?: AbortSignal;
}

/** One reply token with its log-probability and the most likely alternatives at its position. */
export interface TokenLogprob {
  token: string;
  logprob: number;
  top: Array<{ token: string; logprob: number }>;
}

export interface TokenUsage {
  prompt: number;
  completion: number;
}

export type ChatErrorKind = 'rate-limit' | 'server' | 'timeout' | 'network' | 'auth' | 'bad-request' | 'bad-response' | 'aborted';

export interface ChatError {
  kind: ChatErrorKind;
  message: string;
  status?: number;
  /** From a `Retry-After` header, when the server sent one. */
  retryAfterMs?: number;
}

export interface ChatResponse {
  output?: string;
  error?: ChatError;
  tokenUsage: TokenUsage;
  latencyMs: number;
  /** True when the reply came from the call cache instead of the network. */
  cached?: boolean;
  /** The reply's tokens with log-probabilities, when the request asked for them and the provider returns them. */
  logprobs?: TokenLogprob[];
}

export const ChatModelProvider = Symbol.for('@judgekit/core/ChatModelProvider');
export interface ChatModelProvider {
  /** Provider id as written in `--judge <provider>:<model>`, e.g. `openai`. */
  readonly id: string;
  /** What identifies the endpoint in cache keys (base URL, API flavour); never a key. */
  readonly cacheIdentity: Record<string, unknown>;
  complete(request: ChatRequest): Promise<ChatResponse>;
  /** Whether `complete` returns token log-probabilities for a request with `logprobs: true`. Absent: it does not. */
  readonly logprobs?: boolean;
  /** Versions of the code behind the calls (the plugin package, its SDK), recorded in a judge run's run.json. */
  versions?(): Promise<Record<string, string>>;
}

export interface ChatModelProviderOptions {
  baseURL?: string;
  timeoutMs?: number;
  /** Create the provider without an API key: a dry run plans calls without making any (a call would fail with `auth`). */
  keyOptional?: boolean;
  /** Provider-specific options, e.g. `{ api: 'responses' }` for OpenAI. */
  [option: string]: unknown;
}

/** Contribution point: one per provider id; creates configured providers. */
export const ChatModelProviderFactory = Symbol.for('@judgekit/core/ChatModelProviderFactory');
export interface ChatModelProviderFactory extends Contribution {
  /** Provider id as written in `<provider>:<model>`, e.g. `openai`. */
  readonly id: string;
  create(options?: ChatModelProviderOptions): ChatModelProvider;
}

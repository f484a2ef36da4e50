// Turn what the vendor SDKs throw into the ChatError data the contract asks for. Both SDKs share a shape
// (status, headers, and named connection/abort/timeout errors), so one mapping serves both.
import { parseRetryAfter, scrubSecrets, type ChatError } from '@judgekit/core';

interface SdkLikeError {
  name?: string;
  message?: string;
  status?: number;
  headers?: { get(name: string): string | null } | Record<string, string>;
}

function header(error: SdkLikeError, name: string): string | undefined {
  const headers = error.headers;
  if (!headers) return undefined;
  if (typeof (headers as { get?: unknown }).get === 'function') return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  return (headers as Record<string, string>)[name];
}

/** Milliseconds the server asked us to wait: `retry-after-ms`, else `Retry-After`. */
export function retryAfterFromError(error: SdkLikeError): number | undefined {
  const ms = header(error, 'retry-after-ms');
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.round(Number(ms));
  return parseRetryAfter(header(error, 'retry-after'));
}

/** `apiKey`: the provider's own key, removed from the message even when it did not come from `process.env`. */
export function chatErrorFromSdk(thrown: unknown, providerId: string, signal?: AbortSignal, apiKey?: string): ChatError {
  const error = (typeof thrown === 'object' && thrown !== null ? thrown : { message: String(thrown) }) as SdkLikeError;
  // Vendors echo keys and request URLs in error text ("Incorrect API key provided: sk-..."): never keep them.
  const message = scrubSecrets(`${providerId}: ${error.message ?? 'unknown error'}`, apiKey ? { secrets: [apiKey] } : {});
  const name = error.name ?? '';
  if (name === 'APIUserAbortError' || name === 'AbortError' || signal?.aborted) return { kind: signal?.aborted ? 'aborted' : 'timeout', message };
  if (name === 'APIConnectionTimeoutError') return { kind: 'timeout', message };
  if (name === 'APIConnectionError') return { kind: 'network', message };
  const status = typeof error.status === 'number' ? error.status : undefined;
  if (status === undefined) return { kind: 'network', message };
  const retryAfterMs = retryAfterFromError(error);
  const base = { status, message, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  if (status === 429) return { kind: 'rate-limit', ...base };
  if (status >= 500 || status === 408 || status === 409) return { kind: 'server', ...base };
  if (status === 401 || status === 403) return { kind: 'auth', ...base, message: `${message} (check the API key in the environment)` };
  return { kind: 'bad-request', ...base };
}

// A server that echoes the caller's key in its error bodies, driven through the real SDKs: the provider's error
// message must not carry the key, even one that came from the provider's options rather than `process.env`
// (whose key-like variables are scrubbed anyway), and even when it has no known key shape.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from '../testing/index.js';
import { AnthropicProvider } from './anthropic-provider.js';
import { OpenAiProvider } from './openai-provider.js';

// No `sk-` prefix: only knowing the provider's own key can remove it.
const KEY = 'planted-shapeless-key-93f1c0de7b';
let server: FakeLlmServer;

beforeAll(async () => {
  server = await startFakeLlmServer((request) => {
    const sent = String(request.headers.authorization ?? request.headers['x-api-key'] ?? '').replace(/^Bearer /, '');
    return { status: 401, errorMessage: `Incorrect API key provided: ${sent}` };
  });
});
afterAll(async () => {
  await server.close();
});

const request = { model: 'judge-model', messages: [{ role: 'user' as const, content: 'score this' }] };

describe('provider errors that echo the key', () => {
  it('the OpenAI provider reports an auth failure without the key the server echoed', async () => {
    const response = await new OpenAiProvider({ env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.openaiBaseURL } }).complete(request);
    expect(response.error?.kind).toBe('auth');
    expect(response.error?.message).toBe('openai: 401 Incorrect API key provided: REDACTED (check the API key in the environment)');
  });

  it('the Anthropic provider reports an auth failure without the key the server echoed', async () => {
    const response = await new AnthropicProvider({ env: { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: server.anthropicBaseURL } }).complete(request);
    expect(response.error?.kind).toBe('auth');
    expect(response.error?.message).toContain('Incorrect API key provided: REDACTED');
    expect(response.error?.message).not.toContain(KEY);
  });
});

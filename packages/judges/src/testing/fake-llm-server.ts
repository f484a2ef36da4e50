// A local HTTP server that speaks the OpenAI Chat Completions and Responses wire formats and the Anthropic
// Messages format, answering each request as a script says. Tests and benchmarks drive the real SDKs at it.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type FakeApi = 'chat' | 'responses' | 'anthropic';

export interface FakeRequest {
  api: FakeApi;
  /** 0-based arrival order across the server's life. */
  seq: number;
  /** `performance.now()` when the request arrived. */
  receivedAt: number;
  model: string;
  /** Every message's text, system/instructions first. */
  messages: Array<{ role: string; content: string }>;
  /** The last user message's text: what a judge prompt is. */
  prompt: string;
  body: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
}

export interface FakeReply {
  /** Assistant text for a 200 reply. */
  text?: string;
  /** HTTP status; default 200. A non-2xx status sends the vendor's error body. */
  status?: number;
  /** Sent as the `Retry-After` header. */
  retryAfter?: string;
  /** More response headers, e.g. `retry-after-ms`. */
  headers?: Record<string, string>;
  /** Wait this long before replying. */
  delayMs?: number;
  /** Never reply (until the client gives up or the server closes). */
  hang?: boolean;
  usage?: { prompt?: number; completion?: number };
  errorMessage?: string;
  /**
   * Chat API: the reply's tokens with log-probabilities, sent as OpenAI's `choices[0].logprobs.content` when the request
   * asked for `logprobs` (each `top` cut to the request's `top_logprobs`). Default: `fakeTokens(text)`, each token
   * certain (logprob 0, itself its only alternative). Tokens should join to `text`.
   */
  logprobs?: Array<{ token: string; logprob: number; top?: Array<{ token: string; logprob: number }> }>;
}

/** Split text as OpenAI's tokenizers roughly do for logprob tests: runs of up to three digits, words with their leading space, other characters. */
export function fakeTokens(text: string): string[] {
  return text.match(/\d{1,3}| ?[A-Za-z]+|\s+|[^\sA-Za-z\d]/g) ?? [];
}

function wireLogprobs(reply: FakeReply, text: string, body: Record<string, unknown>): unknown {
  if (body.logprobs !== true) return null;
  const top = typeof body.top_logprobs === 'number' ? body.top_logprobs : 0;
  const tokens = reply.logprobs ?? fakeTokens(text).map((token) => ({ token, logprob: 0, top: [{ token, logprob: 0 }] }));
  const bytes = (token: string): number[] => [...Buffer.from(token, 'utf8')];
  return {
    content: tokens.map((t) => ({ token: t.token, logprob: t.logprob, bytes: bytes(t.token), top_logprobs: (t.top ?? []).slice(0, top).map((alt) => ({ token: alt.token, logprob: alt.logprob, bytes: bytes(alt.token) })) })),
    refusal: null,
  };
}

export type FakeScript = (request: FakeRequest) => FakeReply | string | Promise<FakeReply | string>;

export interface FakeLlmServer {
  /** Base URL for the OpenAI SDK (`.../v1`). */
  readonly openaiBaseURL: string;
  /** Base URL for the Anthropic SDK (it appends `/v1/messages`). */
  readonly anthropicBaseURL: string;
  readonly requests: FakeRequest[];
  /** Replace the script. */
  setScript(script: FakeScript): void;
  close(): Promise<void>;
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (typeof part === 'string' ? part : typeof part === 'object' && part !== null && typeof (part as { text?: unknown }).text === 'string' ? (part as { text: string }).text : ''))
      .join('');
  }
  return '';
}

function readMessages(api: FakeApi, body: Record<string, unknown>): Array<{ role: string; content: string }> {
  const messages: Array<{ role: string; content: string }> = [];
  if (api === 'anthropic' && body.system !== undefined) messages.push({ role: 'system', content: contentText(body.system) });
  if (api === 'responses' && typeof body.instructions === 'string') messages.push({ role: 'system', content: body.instructions });
  const list = api === 'responses' ? body.input : body.messages;
  if (typeof list === 'string') messages.push({ role: 'user', content: list });
  else if (Array.isArray(list)) {
    for (const message of list as Array<{ role?: string; content?: unknown }>) messages.push({ role: message.role ?? 'user', content: contentText(message.content) });
  }
  return messages;
}

/** A rough token count for default usage figures: 4 characters a token. */
export function fakeTokenCount(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function successBody(api: FakeApi, model: string, text: string, usage: { prompt: number; completion: number }, seq: number, logprobs: unknown = null): unknown {
  if (api === 'chat') {
    return {
      id: `chatcmpl-fake-${seq}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs, finish_reason: 'stop' }],
      usage: { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion },
    };
  }
  if (api === 'responses') {
    return {
      id: `resp_fake_${seq}`,
      object: 'response',
      created_at: Math.floor(Date.now() / 1000),
      status: 'completed',
      model,
      output: [{ type: 'message', id: `msg_fake_${seq}`, status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] }],
      usage: { input_tokens: usage.prompt, output_tokens: usage.completion, total_tokens: usage.prompt + usage.completion, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } },
    };
  }
  return {
    id: `msg_fake_${seq}`,
    type: 'message',
    role: 'assistant',
    model,
    content: [{ type: 'text', text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: usage.prompt, output_tokens: usage.completion },
  };
}

function errorBody(api: FakeApi, status: number, message: string): unknown {
  if (api === 'anthropic') {
    const type = status === 429 ? 'rate_limit_error' : status >= 500 ? 'api_error' : status === 401 ? 'authentication_error' : 'invalid_request_error';
    return { type: 'error', error: { type, message } };
  }
  return { error: { message, type: status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'server_error' : 'invalid_request_error', code: null, param: null } };
}

const ROUTES: Record<string, FakeApi> = {
  '/v1/chat/completions': 'chat',
  '/v1/responses': 'responses',
  '/v1/messages': 'anthropic',
};

/** Start a server on 127.0.0.1 at a random port. Default script: reply "50". */
export async function startFakeLlmServer(script: FakeScript = () => '50'): Promise<FakeLlmServer> {
  let current = script;
  const requests: FakeRequest[] = [];
  const sockets = new Set<Socket>();
  const pending = new Set<ServerResponse>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const api = req.method === 'POST' ? ROUTES[path] : undefined;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (!api) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `no route ${req.method} ${path}` } }));
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify(errorBody(api, 400, 'body is not JSON')));
      return;
    }
    const messages = readMessages(api, body);
    const request: FakeRequest = {
      api,
      seq: requests.length,
      receivedAt: performance.now(),
      model: typeof body.model === 'string' ? body.model : '',
      messages,
      prompt: [...messages].reverse().find((m) => m.role === 'user')?.content ?? '',
      body,
      headers: req.headers,
    };
    requests.push(request);
    const scripted = await current(request);
    const reply: FakeReply = typeof scripted === 'string' ? { text: scripted } : scripted;
    if (reply.hang) {
      pending.add(res);
      res.on('close', () => pending.delete(res));
      return;
    }
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    if (res.destroyed) return;
    const status = reply.status ?? 200;
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-request-id': `req_fake_${request.seq}` };
    if (reply.retryAfter !== undefined) headers['retry-after'] = reply.retryAfter;
    Object.assign(headers, reply.headers);
    if (status >= 200 && status < 300) {
      const text = reply.text ?? '';
      const usage = {
        prompt: reply.usage?.prompt ?? fakeTokenCount(messages.map((m) => m.content).join('\n')),
        completion: reply.usage?.completion ?? fakeTokenCount(text),
      };
      res.writeHead(status, headers).end(JSON.stringify(successBody(api, request.model, text, usage, request.seq, api === 'chat' ? wireLogprobs(reply, text, body) : null)));
    } else {
      res.writeHead(status, headers).end(JSON.stringify(errorBody(api, status, reply.errorMessage ?? `scripted status ${status}`)));
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `fake server script failed: ${(error as Error)?.message ?? String(error)}` } }));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    openaiBaseURL: `${origin}/v1`,
    anthropicBaseURL: origin,
    requests,
    setScript: (next) => {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of pending) res.destroy();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

// A local HTTP server that speaks OpenAI's files + batches wire format and Anthropic's Message Batches format, so
// tests drive the real SDKs through `--execution batch-api` with no internet. Each request of a batch is answered
// by a script (like the fake LLM server's); a batch can be held "in progress" for a number of polls, and chosen
// requests can fail or expire.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { fakeTokenCount } from './fake-llm-server.js';

export type FakeBatchApi = 'openai' | 'anthropic';

export interface FakeBatchRequest {
  api: FakeBatchApi;
  batchId: string;
  customId: string;
  model: string;
  messages: Array<{ role: string; content: string }>;
  /** The last user message's text: what a judge prompt is. */
  prompt: string;
  body: Record<string, unknown>;
}

/** A reply's text, or a failure of this request (an error status), or its expiry (never run within the window). */
export type FakeBatchOutcome = string | { text?: string; fail?: { status?: number; message?: string }; expire?: boolean; usage?: { prompt?: number; completion?: number } };
export type FakeBatchScript = (request: FakeBatchRequest) => FakeBatchOutcome | Promise<FakeBatchOutcome>;

export interface FakeBatch {
  id: string;
  api: FakeBatchApi;
  /** OpenAI: validating|in_progress|completed|failed|expired|cancelling|cancelled; Anthropic: in_progress|canceling|ended. */
  status: string;
  requests: FakeBatchRequest[];
  /** Retrievals so far. */
  polls: number;
  createdAt: number;
  metadata?: Record<string, unknown>;
  outputFileId?: string;
  errorFileId?: string;
  /** Anthropic results, as JSONL. */
  results?: string;
  counts: { succeeded: number; failed: number; expired: number; canceled: number };
}

export interface FakeBatchServerOptions {
  script?: FakeBatchScript;
  /** Retrievals a batch stays in progress before it is processed. Default 1. `Infinity` holds it until `setHoldPolls`. */
  holdPolls?: number;
  /** Make every new OpenAI batch fail validation with this message. */
  failBatches?: string;
}

export interface FakeBatchServer {
  /** Base URL for the OpenAI SDK (`.../v1`). */
  readonly openaiBaseURL: string;
  /** Base URL for the Anthropic SDK. */
  readonly anthropicBaseURL: string;
  /** Every batch created, in order (one entry per creation). */
  readonly batches: FakeBatch[];
  /** Every HTTP request as `METHOD path`, in order. */
  readonly log: string[];
  /** Live calls (POST /v1/chat/completions, /v1/messages), answered by the same script: the live path of a run. */
  readonly liveRequests: FakeBatchRequest[];
  /** Uploaded files by id (OpenAI). */
  readonly files: Map<string, { purpose: string; filename: string; content: string }>;
  setScript(script: FakeBatchScript): void;
  setHoldPolls(polls: number): void;
  close(): Promise<void>;
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => (typeof (part as { text?: unknown })?.text === 'string' ? (part as { text: string }).text : '')).join('');
  return '';
}

function messagesOf(api: FakeBatchApi, body: Record<string, unknown>): Array<{ role: string; content: string }> {
  const messages: Array<{ role: string; content: string }> = [];
  if (api === 'anthropic' && body.system !== undefined) messages.push({ role: 'system', content: contentText(body.system) });
  for (const message of (Array.isArray(body.messages) ? body.messages : []) as Array<{ role?: string; content?: unknown }>) messages.push({ role: message.role ?? 'user', content: contentText(message.content) });
  return messages;
}

/** The file part of a multipart/form-data body, and its other fields. */
function parseMultipart(body: Buffer, contentType: string): { fields: Record<string, string>; file?: { filename: string; content: string } } {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const marker = `--${boundary?.[1] ?? boundary?.[2] ?? ''}`;
  const fields: Record<string, string> = {};
  let file: { filename: string; content: string } | undefined;
  for (const part of body.toString('utf8').split(marker)) {
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) continue;
    const headers = part.slice(0, split);
    const value = part.slice(split + 4).replace(/\r\n$/, '');
    const name = /name="([^"]*)"/i.exec(headers)?.[1];
    const filename = /filename="([^"]*)"/i.exec(headers)?.[1];
    if (filename !== undefined) file = { filename, content: value };
    else if (name) fields[name] = value;
  }
  return { fields, ...(file ? { file } : {}) };
}

const now = (): number => Math.floor(Date.now() / 1000);

/** Start a server on 127.0.0.1 at a random port. Default script: reply "50". */
export async function startFakeBatchServer(options: FakeBatchServerOptions = {}): Promise<FakeBatchServer> {
  let script: FakeBatchScript = options.script ?? (() => '50');
  let holdPolls = options.holdPolls ?? 1;
  const batches: FakeBatch[] = [];
  const files = new Map<string, { purpose: string; filename: string; content: string }>();
  const log: string[] = [];
  const liveRequests: FakeBatchRequest[] = [];
  const sockets = new Set<Socket>();
  let origin = '';
  let fileCount = 0;
  let requestCount = 0;

  const addFile = (content: string, purpose: string, filename: string): string => {
    const id = `file-fake-${++fileCount}`;
    files.set(id, { purpose, filename, content });
    return id;
  };

  const openaiBatch = (batch: FakeBatch): Record<string, unknown> => ({
    id: batch.id,
    object: 'batch',
    endpoint: '/v1/chat/completions',
    errors: batch.status === 'failed' ? { object: 'list', data: [{ code: 'invalid_request', message: options.failBatches ?? 'failed', line: null, param: null }] } : null,
    input_file_id: (batch.metadata?.__input as string | undefined) ?? null,
    completion_window: '24h',
    status: batch.status,
    output_file_id: batch.outputFileId ?? null,
    error_file_id: batch.errorFileId ?? null,
    created_at: batch.createdAt,
    in_progress_at: null,
    expires_at: batch.createdAt + 86_400,
    completed_at: batch.status === 'completed' ? now() : null,
    request_counts: { total: batch.requests.length, completed: batch.counts.succeeded, failed: batch.counts.failed + batch.counts.expired + batch.counts.canceled },
    metadata: Object.fromEntries(Object.entries(batch.metadata ?? {}).filter(([key]) => key !== '__input')),
  });

  const anthropicBatch = (batch: FakeBatch): Record<string, unknown> => {
    const ended = batch.status === 'ended';
    return {
      id: batch.id,
      type: 'message_batch',
      processing_status: batch.status,
      request_counts: {
        processing: ended ? 0 : batch.requests.length,
        succeeded: batch.counts.succeeded,
        errored: batch.counts.failed,
        canceled: batch.counts.canceled,
        expired: batch.counts.expired,
      },
      created_at: new Date(batch.createdAt * 1000).toISOString(),
      expires_at: new Date((batch.createdAt + 86_400) * 1000).toISOString(),
      ended_at: ended ? new Date().toISOString() : null,
      cancel_initiated_at: null,
      archived_at: null,
      results_url: ended ? `${origin}/v1/messages/batches/${batch.id}/results` : null,
    };
  };

  /** Runs every request of the batch through the script (or cancels those not run) and writes the results. */
  const finish = async (batch: FakeBatch, cancelled: boolean): Promise<void> => {
    const output: string[] = [];
    const errors: string[] = [];
    for (const request of batch.requests) {
      const id = `batch_req_${++requestCount}`;
      if (cancelled) {
        batch.counts.canceled++;
        if (batch.api === 'openai') errors.push(JSON.stringify({ id, custom_id: request.customId, response: null, error: { code: 'batch_cancelled', message: 'This request was not executed because the batch was cancelled.' } }));
        else output.push(JSON.stringify({ custom_id: request.customId, result: { type: 'canceled' } }));
        continue;
      }
      const scripted = await script(request);
      const outcome = typeof scripted === 'string' ? { text: scripted } : scripted;
      if (outcome.expire) {
        batch.counts.expired++;
        if (batch.api === 'openai') errors.push(JSON.stringify({ id, custom_id: request.customId, response: null, error: { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' } }));
        else output.push(JSON.stringify({ custom_id: request.customId, result: { type: 'expired' } }));
        continue;
      }
      if (outcome.fail) {
        batch.counts.failed++;
        const status = outcome.fail.status ?? 400;
        const message = outcome.fail.message ?? `scripted status ${status}`;
        if (batch.api === 'openai') {
          errors.push(JSON.stringify({ id, custom_id: request.customId, response: { status_code: status, request_id: `req_${id}`, body: { error: { message, type: status >= 500 ? 'server_error' : 'invalid_request_error', param: null, code: null } } }, error: null }));
        } else {
          output.push(JSON.stringify({ custom_id: request.customId, result: { type: 'errored', error: { type: 'error', error: { type: status >= 500 ? 'api_error' : 'invalid_request_error', message } } } }));
        }
        continue;
      }
      batch.counts.succeeded++;
      const text = outcome.text ?? '';
      const usage = { prompt: outcome.usage?.prompt ?? fakeTokenCount(request.messages.map((m) => m.content).join('\n')), completion: outcome.usage?.completion ?? fakeTokenCount(text) };
      if (batch.api === 'openai') {
        const body = {
          id: `chatcmpl-${id}`,
          object: 'chat.completion',
          created: now(),
          model: request.model,
          choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' }],
          usage: { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion },
        };
        output.push(JSON.stringify({ id, custom_id: request.customId, response: { status_code: 200, request_id: `req_${id}`, body }, error: null }));
      } else {
        const message = { id: `msg_${id}`, type: 'message', role: 'assistant', model: request.model, content: [{ type: 'text', text }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: usage.prompt, output_tokens: usage.completion } };
        output.push(JSON.stringify({ custom_id: request.customId, result: { type: 'succeeded', message } }));
      }
    }
    if (batch.api === 'openai') {
      if (output.length > 0) batch.outputFileId = addFile(`${output.join('\n')}\n`, 'batch_output', `${batch.id}_output.jsonl`);
      if (errors.length > 0) batch.errorFileId = addFile(`${errors.join('\n')}\n`, 'batch_output', `${batch.id}_error.jsonl`);
      batch.status = cancelled ? 'cancelled' : batch.counts.expired > 0 ? 'expired' : 'completed';
    } else {
      batch.results = `${output.join('\n')}\n`;
      batch.status = 'ended';
    }
  };

  const poll = async (batch: FakeBatch): Promise<void> => {
    batch.polls++;
    if (batch.status === 'cancelling' || batch.status === 'canceling') await finish(batch, true);
    else if ((batch.status === 'validating' || batch.status === 'in_progress') && batch.polls > holdPolls) await finish(batch, false);
    else if (batch.status === 'validating') batch.status = 'in_progress';
  };

  const json = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const notFound = (res: ServerResponse, api: FakeBatchApi, what: string): void =>
    json(res, 404, api === 'anthropic' ? { type: 'error', error: { type: 'not_found_error', message: `${what} not found` } } : { error: { message: `${what} not found`, type: 'invalid_request_error', param: null, code: null } });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const method = req.method ?? 'GET';
    log.push(`${method} ${path}`);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    let match: RegExpExecArray | null;

    // Live calls, answered by the same script (a failure or expiry scripted for a request fails the live call too).
    if ((path === '/v1/chat/completions' || path === '/v1/messages') && method === 'POST') {
      const api: FakeBatchApi = path === '/v1/messages' ? 'anthropic' : 'openai';
      const body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      const messages = messagesOf(api, body);
      const request: FakeBatchRequest = { api, batchId: '', customId: '', model: String(body.model ?? ''), messages, prompt: [...messages].reverse().find((m) => m.role === 'user')?.content ?? '', body };
      liveRequests.push(request);
      const scripted = await script(request);
      const outcome = typeof scripted === 'string' ? { text: scripted } : scripted;
      if (outcome.fail || outcome.expire) {
        const status = outcome.fail?.status ?? 500;
        return json(res, status, api === 'anthropic' ? { type: 'error', error: { type: status >= 500 ? 'api_error' : 'invalid_request_error', message: outcome.fail?.message ?? 'scripted failure' } } : { error: { message: outcome.fail?.message ?? 'scripted failure', type: 'invalid_request_error', param: null, code: null } });
      }
      const text = outcome.text ?? '';
      const usage = { prompt: outcome.usage?.prompt ?? fakeTokenCount(messages.map((m) => m.content).join('\n')), completion: outcome.usage?.completion ?? fakeTokenCount(text) };
      const id = `live_${liveRequests.length}`;
      return json(
        res,
        200,
        api === 'openai'
          ? { id: `chatcmpl-${id}`, object: 'chat.completion', created: now(), model: request.model, choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' }], usage: { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion } }
          : { id: `msg_${id}`, type: 'message', role: 'assistant', model: request.model, content: [{ type: 'text', text }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: usage.prompt, output_tokens: usage.completion } },
      );
    }

    // Anthropic Message Batches.
    if (path === '/v1/messages/batches' && method === 'POST') {
      const body = JSON.parse(raw.toString('utf8')) as { requests?: Array<{ custom_id: string; params: Record<string, unknown> }> };
      const id = `msgbatch_fake_${batches.length + 1}`;
      const requests = (body.requests ?? []).map((request) => {
        const messages = messagesOf('anthropic', request.params);
        return { api: 'anthropic' as const, batchId: id, customId: request.custom_id, model: String(request.params.model ?? ''), messages, prompt: [...messages].reverse().find((m) => m.role === 'user')?.content ?? '', body: request.params };
      });
      const batch: FakeBatch = { id, api: 'anthropic', status: 'in_progress', requests, polls: 0, createdAt: now(), counts: { succeeded: 0, failed: 0, expired: 0, canceled: 0 } };
      batches.push(batch);
      return json(res, 200, anthropicBatch(batch));
    }
    if (path === '/v1/messages/batches' && method === 'GET') {
      const data = batches.filter((batch) => batch.api === 'anthropic').reverse().map(anthropicBatch);
      return json(res, 200, { data, has_more: false, first_id: (data[0]?.id as string | undefined) ?? null, last_id: (data.at(-1)?.id as string | undefined) ?? null });
    }
    if ((match = /^\/v1\/messages\/batches\/([^/]+)(\/results|\/cancel)?$/.exec(path))) {
      const batch = batches.find((candidate) => candidate.id === match?.[1] && candidate.api === 'anthropic');
      if (!batch) return notFound(res, 'anthropic', `message batch ${match[1]}`);
      if (match[2] === '/results') {
        if (batch.status !== 'ended') return json(res, 400, { type: 'error', error: { type: 'invalid_request_error', message: 'batch has not ended' } });
        res.writeHead(200, { 'content-type': 'application/binary' }).end(batch.results ?? '');
        return;
      }
      if (match[2] === '/cancel' && method === 'POST') {
        if (batch.status === 'in_progress') batch.status = 'canceling';
        return json(res, 200, anthropicBatch(batch));
      }
      await poll(batch);
      return json(res, 200, anthropicBatch(batch));
    }

    // OpenAI files.
    if (path === '/v1/files' && method === 'POST') {
      const { fields, file } = parseMultipart(raw, String(req.headers['content-type'] ?? ''));
      if (!file || fields.purpose !== 'batch') return json(res, 400, { error: { message: 'expected a file and purpose "batch"', type: 'invalid_request_error', param: 'purpose', code: null } });
      const id = addFile(file.content, fields.purpose, file.filename);
      return json(res, 200, { id, object: 'file', bytes: Buffer.byteLength(file.content), created_at: now(), filename: file.filename, purpose: 'batch', status: 'processed' });
    }
    if ((match = /^\/v1\/files\/([^/]+)(\/content)?$/.exec(path)) && method === 'GET') {
      const file = files.get(match[1] as string);
      if (!file) return notFound(res, 'openai', `file ${match[1]}`);
      if (match[2]) {
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(file.content);
        return;
      }
      return json(res, 200, { id: match[1], object: 'file', bytes: Buffer.byteLength(file.content), created_at: now(), filename: file.filename, purpose: file.purpose, status: 'processed' });
    }

    // OpenAI batches.
    if (path === '/v1/batches' && method === 'POST') {
      const body = JSON.parse(raw.toString('utf8')) as { input_file_id?: string; endpoint?: string; completion_window?: string; metadata?: Record<string, unknown> };
      const input = files.get(body.input_file_id ?? '');
      if (!input || input.purpose !== 'batch') return json(res, 400, { error: { message: `input_file_id ${body.input_file_id} is not a batch file`, type: 'invalid_request_error', param: 'input_file_id', code: null } });
      if (body.endpoint !== '/v1/chat/completions' || body.completion_window !== '24h') return json(res, 400, { error: { message: 'endpoint must be /v1/chat/completions and completion_window 24h', type: 'invalid_request_error', param: null, code: null } });
      const id = `batch_fake_${batches.length + 1}`;
      const requests = input.content
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => {
          const parsed = JSON.parse(line) as { custom_id: string; body: Record<string, unknown> };
          const messages = messagesOf('openai', parsed.body);
          return { api: 'openai' as const, batchId: id, customId: parsed.custom_id, model: String(parsed.body.model ?? ''), messages, prompt: [...messages].reverse().find((m) => m.role === 'user')?.content ?? '', body: parsed.body };
        });
      const batch: FakeBatch = { id, api: 'openai', status: options.failBatches ? 'failed' : 'validating', requests, polls: 0, createdAt: now(), metadata: { ...(body.metadata ?? {}), __input: body.input_file_id }, counts: { succeeded: 0, failed: 0, expired: 0, canceled: 0 } };
      batches.push(batch);
      return json(res, 200, openaiBatch(batch));
    }
    if (path === '/v1/batches' && method === 'GET') {
      const data = batches.filter((batch) => batch.api === 'openai').reverse().map(openaiBatch);
      return json(res, 200, { object: 'list', data, first_id: (data[0]?.id as string | undefined) ?? null, last_id: (data.at(-1)?.id as string | undefined) ?? null, has_more: false });
    }
    if ((match = /^\/v1\/batches\/([^/]+)(\/cancel)?$/.exec(path))) {
      const batch = batches.find((candidate) => candidate.id === match?.[1] && candidate.api === 'openai');
      if (!batch) return notFound(res, 'openai', `batch ${match[1]}`);
      if (match[2] && method === 'POST') {
        if (batch.status === 'validating' || batch.status === 'in_progress') batch.status = 'cancelling';
        return json(res, 200, openaiBatch(batch));
      }
      await poll(batch);
      return json(res, 200, openaiBatch(batch));
    }
    json(res, 404, { error: { message: `no route ${method} ${path}` } });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `fake batch server failed: ${(error as Error)?.message ?? String(error)}` } }));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  return {
    openaiBaseURL: `${origin}/v1`,
    anthropicBaseURL: origin,
    batches,
    log,
    liveRequests,
    files,
    setScript: (next) => {
      script = next;
    },
    setHoldPolls: (polls) => {
      holdPolls = polls;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

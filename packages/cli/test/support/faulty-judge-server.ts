// An OpenAI-compatible Chat Completions server that misbehaves on purpose: it resets connections, stalls,
// sends garbage or truncated bodies, answers 429 storms and 5xx pages, and uses wrong content types, as a
// script decides per request. The fake server in @judgekit/judges/testing only speaks well-formed HTTP;
// these faults live below that, at the socket and body level.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  | { kind: 'ok'; text: string; delayMs?: number }
  | { kind: 'reset' }
  | { kind: 'stall' }
  | { kind: 'stall-body' }
  | { kind: 'garbage'; body?: string }
  | { kind: 'truncated' }
  | { kind: 'status'; status: number; retryAfter?: string; body?: string; contentType?: string }
  | { kind: 'wrong-content-type'; contentType: string; body: string };

export interface FaultyRequest {
  seq: number;
  prompt: string;
  body: Record<string, unknown>;
  headers: IncomingMessage['headers'];
  url: string;
}

export interface FaultyJudgeServer {
  readonly baseURL: string;
  readonly requests: FaultyRequest[];
  /** What each request got, in order. */
  readonly served: Array<Fault['kind']>;
  close(): Promise<void>;
}

function completion(text: string, seq: number, model: string): string {
  return JSON.stringify({
    id: `chatcmpl-faulty-${seq}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
  });
}

export async function startFaultyJudgeServer(script: (request: FaultyRequest) => Fault | Promise<Fault>): Promise<FaultyJudgeServer> {
  const requests: FaultyRequest[] = [];
  const served: Array<Fault['kind']> = [];
  const sockets = new Set<Socket>();
  const stalled = new Set<ServerResponse>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    } catch {
      // keep {}: the script still decides
    }
    const messages = Array.isArray(body.messages) ? (body.messages as Array<{ role?: string; content?: unknown }>) : [];
    const prompt = String([...messages].reverse().find((message) => message.role === 'user')?.content ?? '');
    const request: FaultyRequest = { seq: requests.length, prompt, body, headers: req.headers, url: req.url ?? '' };
    requests.push(request);
    const fault = await script(request);
    served.push(fault.kind);
    const model = typeof body.model === 'string' ? body.model : 'faulty';
    switch (fault.kind) {
      case 'ok':
        if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
        res.writeHead(200, { 'content-type': 'application/json' }).end(completion(fault.text, request.seq, model));
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case 'stall':
        stalled.add(res);
        res.on('close', () => stalled.delete(res));
        return;
      case 'stall-body': {
        // Headers and the start of a body, then nothing: only a client-side timeout ends this.
        stalled.add(res);
        res.on('close', () => stalled.delete(res));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"id": "chatcmpl-stalled", "choices": [');
        return;
      }
      case 'garbage':
        res.writeHead(200, { 'content-type': 'application/json' }).end(fault.body ?? '{"choices": [{"message": nope ]]\u0000\u00ff');
        return;
      case 'truncated': {
        // Promise a long body, send half of it, then drop the connection.
        const whole = completion('{"Model 1": {"score": 50}}', request.seq, model);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(whole.length) });
        res.write(whole.slice(0, Math.floor(whole.length / 2)));
        setTimeout(() => req.socket.destroy(), 5);
        return;
      }
      case 'status': {
        const headers: Record<string, string> = { 'content-type': fault.contentType ?? 'application/json' };
        if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
        res.writeHead(fault.status, headers).end(fault.body ?? JSON.stringify({ error: { message: `faulty server status ${fault.status}`, type: 'server_error', code: null, param: null } }));
        return;
      }
      case 'wrong-content-type':
        res.writeHead(200, { 'content-type': fault.contentType }).end(fault.body);
        return;
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `faulty server script failed: ${String(error)}` } }));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    served,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of stalled) res.destroy();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

// `judgekit rate --serve`: a small node:http server on localhost. GET / renders the rater's page (with the items
// they have already rated), POST /api/ratings turns slot scores into a ratings.jsonl line. The slot-to-model map
// never leaves the server: it is recomputed from the rater and the item for each submission.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { JudgekitError, ratingFromSlots, RatingsFile, readRatings, runFile, type RatingScale, type RunItems, type SlotRating } from '@judgekit/core';
import { renderRaterForm, renderRatingPage } from './rating-page.js';

export interface RatingServerOptions {
  runDir: string;
  items: RunItems;
  scale: RatingScale;
  /** Rater id used when the URL has no `?rater=`; without either, the page asks for one. */
  rater?: string;
  port?: number;
  host?: string;
  title?: string;
}

export interface RatingServer {
  url: string;
  close(): Promise<void>;
}

const MAX_BODY = 1 << 20;

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new JudgekitError('input', 'The rating is larger than 1 MiB.');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function startRatingServer(options: RatingServerOptions): Promise<RatingServer> {
  const path = runFile(options.runDir, 'ratings');
  const file = new RatingsFile(path);
  const raterRatings = async (rater: string) => ((await readRatings(path))?.ratings ?? []).filter((r) => r.rater === rater);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const rater = url.searchParams.get('rater')?.trim() || options.rater;
    if (req.method === 'GET' && url.pathname === '/') {
      if (!rater) return send(res, 200, 'text/html; charset=utf-8', renderRaterForm(options.title));
      const previous = await raterRatings(rater);
      return send(res, 200, 'text/html; charset=utf-8', renderRatingPage(options.items, { rater, scale: options.scale, mode: 'served', previous, ...(options.title ? { title: options.title } : {}) }));
    }
    if (req.method === 'GET' && url.pathname === '/api/state') {
      if (!rater) return sendJson(res, 400, { error: 'Give ?rater=<id>.' });
      return sendJson(res, 200, { rater, scale: options.scale, done: (await raterRatings(rater)).map((r) => r.item) });
    }
    if (req.method === 'POST' && url.pathname === '/api/ratings') {
      // JSON only: a cross-site form cannot send it without a CORS preflight, which this server never grants.
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return sendJson(res, 415, { error: 'Send the rating as application/json.' });
      let body: SlotRating;
      try {
        body = JSON.parse(await readBody(req)) as SlotRating;
      } catch (error) {
        return sendJson(res, 400, { error: JudgekitError.is(error) ? error.message : 'The rating is not valid JSON.' });
      }
      if (body.scale !== options.scale) return sendJson(res, 400, { error: `This server rates on the ${options.scale} scale, not "${String(body.scale)}".` });
      let record;
      try {
        const { time: _time, ...rest } = body;
        record = ratingFromSlots(options.items, rest);
      } catch (error) {
        return sendJson(res, 400, { error: (error as Error).message });
      }
      await file.append(record);
      return sendJson(res, 200, { ok: true, item: record.item, done: (await raterRatings(record.rater)).map((r) => r.item) });
    }
    return sendJson(res, 404, { error: `No ${req.method} ${url.pathname} here.` });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: (error as Error).message });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

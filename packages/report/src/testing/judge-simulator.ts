// A simulated LLM judge with known, planted behaviour, served over the OpenAI wire format so the real SDK (and
// `judgekit judge --judge openai:<model>` with OPENAI_BASE_URL) can talk to it. Each answer's score is
//   true quality (from the answer text) + per-call mood (shared by every answer in the call)
//   + per-answer noise + position effect (by slot, batched prompts only) + length effect, clamped to 0-100.
// The statistics in @judgekit/core are tested by checking that they recover what is planted here.
// A test fixture and a demo, never a default judge.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { modelLabel, readJudgePrompt, seededRandom, type JudgePromptReading, type Random } from '@judgekit/core';
import { simulatePairwiseVerdict, type PairwiseSimulation } from './pairwise-simulation.js';

export interface JudgeSimulatorOptions {
  /** True quality 0-100 of an answer: a function of its text, or a lookup table from answer text. */
  quality: ((answer: string) => number) | ReadonlyMap<string, number> | Readonly<Record<string, number>>;
  /** Quality of an answer the table does not know. Default 50. */
  unknownQuality?: number;
  /** Standard deviation of the per-call "mood": one offset for every answer scored in the same call. */
  callMoodSd?: number;
  /** Standard deviation of independent per-answer noise. */
  answerNoiseSd?: number;
  /** Points added to the answer shown in slot j+1 of a batched prompt (index 0 = "Model 1"). */
  positionEffects?: readonly number[];
  /** Points added per unit of log(1 + words) of the answer (a length bias). */
  lengthEffect?: number;
  /** Pairwise prompts: planted preference scale, position bias, length preference and ties (see pairwise-simulation.ts). */
  pairwise?: PairwiseSimulation;
  /** Share of calls answered with an unusable reply (prose, not a score). */
  failureRate?: number;
  /**
   * Planted flip rate: every call after the first of the same prompt repeats the first call's scores exactly, except
   * that each score moves by `flipSize` (up, or down near 100) with this probability. The flip rate between any
   * repeat and the first is then this probability.
   */
  flipProbability?: number;
  /** Points a flipped score moves. Default 10. */
  flipSize?: number;
  /**
   * Single prompts, when the request asks for `logprobs`: the sampled score token gets probability 1 - `probability`
   * and the score `offset` points away (down near 100) gets `probability`, so the expected score is planted.
   * Default { offset: 10, probability: 0.3 }.
   */
  logprobAlternative?: { offset: number; probability: number };
  /** Seed: the same prompts in the same order get the same scores. */
  seed?: number | string;
}

export type SimulatedPrompt = JudgePromptReading;

/** Recognise the single-answer prompt (book or study wording) and the batched comparative prompt, read back with core's prompt reader. */
export function parseJudgePrompt(prompt: string): SimulatedPrompt {
  return readJudgePrompt(prompt);
}

function gaussian(random: Random): number {
  const u = Math.max(random(), 1e-12);
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

function wordCount(text: string): number {
  const t = text.trim();
  return t === '' ? 0 : t.split(/\s+/u).length;
}

export function trueQuality(options: JudgeSimulatorOptions, answer: string): number {
  const q = options.quality;
  const fallback = options.unknownQuality ?? 50;
  if (typeof q === 'function') return q(answer);
  if (q instanceof Map) return q.get(answer) ?? fallback;
  return (q as Readonly<Record<string, number>>)[answer] ?? fallback;
}

export interface SimulatedScores {
  prompt: SimulatedPrompt;
  /** Integer scores in slot order (one for a single prompt); empty when the reply is a planted failure. */
  scores: number[];
  /** The reply text the server sends. */
  reply: string;
}

/** Score one judge prompt: pure given `random` (one stream per call). */
/** `adjust`: replaces the drawn scores (in slot order) before the reply is written, e.g. with planted flips. */
export function simulateJudgeCall(prompt: string, options: JudgeSimulatorOptions, random: Random, adjust?: (scores: number[]) => number[]): SimulatedScores {
  const parsed = parseJudgePrompt(prompt);
  if (parsed.kind === 'unknown') return { prompt: parsed, scores: [], reply: 'I can only score judge prompts.' };
  if (parsed.kind === 'pairwise') {
    const failedVerdict = random() < (options.failureRate ?? 0);
    const verdict = simulatePairwiseVerdict(parsed.answers[0] ?? '', parsed.answers[1] ?? '', (answer) => trueQuality(options, answer), options.pairwise ?? {}, random, failedVerdict);
    // Scores in slot order: 1 for the winner, 0 for the loser, 0.5 each for a tie (none for a failure).
    const scores = verdict.winner === null ? [] : verdict.winner === 'tie' ? [0.5, 0.5] : verdict.winner === 'A' ? [1, 0] : [0, 1];
    return { prompt: parsed, scores, reply: verdict.reply };
  }
  const mood = (options.callMoodSd ?? 0) * gaussian(random);
  const failed = random() < (options.failureRate ?? 0);
  const drawn = parsed.answers.map((answer, slot) => {
    const position = parsed.kind === 'batched' ? (options.positionEffects?.[slot] ?? 0) : 0;
    const raw = trueQuality(options, answer) + mood + (options.answerNoiseSd ?? 0) * gaussian(random) + position + (options.lengthEffect ?? 0) * Math.log1p(wordCount(answer));
    return Math.round(Math.min(100, Math.max(0, raw)));
  });
  const scores = adjust ? adjust(drawn) : drawn;
  if (failed) return { prompt: parsed, scores: [], reply: parsed.kind === 'batched' ? 'Here are my thoughts on each model, without JSON.' : 'The response is decent.' };
  if (parsed.kind === 'single') return { prompt: parsed, scores, reply: String(scores[0]) };
  const reply: Record<string, { score: number; comments: string }> = {};
  scores.forEach((score, slot) => {
    reply[modelLabel(slot)] = { score, comments: `simulated: quality ${trueQuality(options, parsed.answers[slot] as string).toFixed(1)}` };
  });
  return { prompt: parsed, scores, reply: JSON.stringify(reply, null, 2) };
}

/** With `flipProbability`: a later call of a prompt repeats its first call's scores, each moved by `flipSize` with that probability. */
function plantedFlips(prompt: string, occurrence: number, options: JudgeSimulatorOptions): ((scores: number[]) => number[]) | undefined {
  const p = options.flipProbability;
  if (p === undefined || occurrence === 0) return undefined;
  const size = options.flipSize ?? 10;
  const first = simulateJudgeCall(prompt, { ...options, flipProbability: undefined }, seededRandom(`${String(options.seed ?? 1)}\n0\n${prompt}`));
  const flip = seededRandom(`${String(options.seed ?? 1)}\nflip\n${occurrence}\n${prompt}`);
  return (drawn) => drawn.map((score, slot) => {
    const base = first.scores[slot] ?? score;
    if (flip() >= p) return base;
    return base + size <= 100 ? base + size : base - size;
  });
}

/** OpenAI's `choices[0].logprobs` for a single prompt's reply: the sampled score and one planted alternative. */
function plantedLogprobs(result: SimulatedScores, options: JudgeSimulatorOptions): unknown {
  const { offset, probability } = options.logprobAlternative ?? { offset: 10, probability: 0.3 };
  const score = result.scores[0];
  if (result.prompt.kind !== 'single' || score === undefined) {
    return { content: [{ token: result.reply, logprob: 0, bytes: [...Buffer.from(result.reply)], top_logprobs: [] }], refusal: null };
  }
  const alternative = score + offset <= 100 ? score + offset : score - offset;
  const entry = (token: string, p: number) => ({ token, logprob: Math.log(p), bytes: [...Buffer.from(token)] });
  return { content: [{ ...entry(String(score), 1 - probability), top_logprobs: [entry(String(score), 1 - probability), entry(String(alternative), probability)] }], refusal: null };
}

export interface JudgeSimulator {
  /** Base URL for the OpenAI SDK (`http://127.0.0.1:<port>/v1`): set it as OPENAI_BASE_URL. */
  readonly baseURL: string;
  /** Requests answered so far. */
  readonly calls: number;
  /** Every scored call, in arrival order. */
  readonly log: ReadonlyArray<{ kind: SimulatedPrompt['kind']; scores: number[] }>;
  close(): Promise<void>;
}

function tokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function messageText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (typeof p === 'object' && p !== null && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : '')).join('');
  return '';
}

/** Start the simulator on 127.0.0.1 at a random port; serves POST /v1/chat/completions (and /v1/responses). */
export async function startJudgeSimulator(options: JudgeSimulatorOptions): Promise<JudgeSimulator> {
  const seen = new Map<string, number>();
  const log: Array<{ kind: SimulatedPrompt['kind']; scores: number[] }> = [];
  const sockets = new Set<Socket>();
  let calls = 0;

  const send = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': `req_sim_${calls}` }).end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method === 'GET' && path === '/v1/models') {
      send(res, 200, { object: 'list', data: [{ id: 'judge-simulator', object: 'model', created: 0, owned_by: 'judgekit' }] });
      return;
    }
    const api = req.method !== 'POST' ? undefined : path === '/v1/chat/completions' || path === '/chat/completions' ? 'chat' : path === '/v1/responses' || path === '/responses' ? 'responses' : undefined;
    if (!api) {
      send(res, 404, { error: { message: `judge simulator: no route ${req.method} ${path}`, type: 'invalid_request_error', code: null, param: null } });
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    } catch {
      send(res, 400, { error: { message: 'body is not JSON', type: 'invalid_request_error', code: null, param: null } });
      return;
    }
    const messages: Array<{ role: string; content: string }> = [];
    const list = api === 'chat' ? body.messages : body.input;
    if (typeof list === 'string') messages.push({ role: 'user', content: list });
    else if (Array.isArray(list)) for (const m of list as Array<{ role?: string; content?: unknown }>) messages.push({ role: m.role ?? 'user', content: messageText(m.content) });
    const prompt = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
    // One random stream per call, keyed by the prompt and how often it was seen, so a repeat of the same
    // prompt is a fresh sample while a rerun of the whole sequence repeats exactly.
    const occurrence = seen.get(prompt) ?? 0;
    seen.set(prompt, occurrence + 1);
    const random = seededRandom(`${String(options.seed ?? 1)}\n${occurrence}\n${prompt}`);
    const result = simulateJudgeCall(prompt, options, random, plantedFlips(prompt, occurrence, options));
    calls++;
    log.push({ kind: result.prompt.kind, scores: result.scores });
    const model = typeof body.model === 'string' ? body.model : 'judge-simulator';
    const usage = { prompt: tokens(messages.map((m) => m.content).join('\n')), completion: tokens(result.reply) };
    if (api === 'chat') {
      send(res, 200, {
        id: `chatcmpl-sim-${calls}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: result.reply, refusal: null }, logprobs: body.logprobs === true ? plantedLogprobs(result, options) : null, finish_reason: 'stop' }],
        usage: { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion },
      });
    } else {
      send(res, 200, {
        id: `resp_sim_${calls}`,
        object: 'response',
        created_at: Math.floor(Date.now() / 1000),
        status: 'completed',
        model,
        output: [{ type: 'message', id: `msg_sim_${calls}`, status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: result.reply, annotations: [] }] }],
        usage: { input_tokens: usage.prompt, output_tokens: usage.completion, total_tokens: usage.prompt + usage.completion, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } },
      });
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `judge simulator failed: ${(error as Error)?.message ?? String(error)}`, type: 'server_error' } }));
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
    get calls() {
      return calls;
    },
    log,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

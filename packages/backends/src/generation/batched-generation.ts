// Many prompts per forward pass: prompts are sorted by length into batches, left-padded, prefilled once, then
// decoded one token per step with the KV cache. Each row's position ids start at 0 at its first real token, so a
// padded row computes exactly what it would alone.
//
// Context window: the study crops the context to the last `contextLength` tokens before every step. While every
// row fits, the cache is exact. When the next step would push the cache past the window, the batch is prefilled
// again from scratch with each unfinished row cropped to its last `contextLength` tokens (rows that finished are
// dropped then); once a row is longer than the window, that happens every step, which is what the study's
// uncached loop computes.
import { DEFAULT_GENERATION_BATCH_SIZE, JudgekitError, lengthSortedBatches, seededRandom, STUDY_MAX_NEW_TOKENS, type Random } from '@judgekit/core';
import type { DecoderKvCache, DecoderSession } from './decoder-session.js';
import { isGreedy, sampleToken, validateSamplingOptions, type SamplingOptions } from './token-sampler.js';

// The study's batching lives in core; re-exported for callers of this module.
export { DEFAULT_GENERATION_BATCH_SIZE, lengthSortedBatches, STUDY_MAX_NEW_TOKENS };

export interface TokenGenerationOptions extends SamplingOptions {
  /** Default 256 (the study's). */
  maxNewTokens?: number;
  /** Stops a row and is not included; default the session tokenizer's end of text. `null`: never stop early. */
  stopToken?: number | null;
  /** Filler for left padding and for rows that already finished; default the stop token (or 0). */
  padToken?: number;
  /** Prompts per forward pass; default 32. */
  batchSize?: number;
  /** Seed for sampling. Each row draws from its own stream, seeded by this and the prompt's ids, so a sampled answer does not depend on batching or order. */
  seed?: number;
  /** Called as each batch finishes, with the prompts' indices and completions. */
  onBatch?: (indices: number[], completions: number[][]) => void | Promise<void>;
}

interface Row {
  tokens: number[];
  completion: number[];
  done: boolean;
  random: Random | undefined;
}

function promptHash(ids: readonly number[]): string {
  let h = 2166136261;
  for (const id of ids) {
    h ^= id;
    h = Math.imul(h, 16777619);
  }
  return (h >>> 0).toString(16);
}

function validatePrompts(prompts: readonly (readonly number[])[], vocabSize: number): void {
  prompts.forEach((prompt, index) => {
    if (!Array.isArray(prompt) || prompt.length === 0) {
      throw new JudgekitError('input', `Prompt ${index} has no tokens; every prompt needs at least one token id.`, { location: `prompt ${index}` });
    }
    for (let i = 0; i < prompt.length; i++) {
      const id = prompt[i] as number;
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
        throw new JudgekitError('input', `Prompt ${index}, position ${i}: ${String(id)} is not a token id of this model (expected an integer in [0, ${vocabSize})).`, {
          location: `prompt ${index}, position ${i}`,
        });
      }
    }
  });
}

/** The stop token a call gets when it names none: the session tokenizer's end of text, else none. */
export function defaultStopToken(session: Pick<DecoderSession, 'tokenizer'>): number | null {
  return session.tokenizer?.endOfText ?? null;
}

function resolveOptions(options: TokenGenerationOptions, session: Pick<DecoderSession, 'tokenizer'>): { maxNewTokens: number; stopToken: number | null; padToken: number } {
  const maxNewTokens = options.maxNewTokens ?? STUDY_MAX_NEW_TOKENS;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0) {
    throw new JudgekitError('usage', `max new tokens must be an integer >= 0, got ${String(maxNewTokens)}.`);
  }
  const stopToken = options.stopToken === undefined ? defaultStopToken(session) : options.stopToken;
  const padToken = options.padToken ?? stopToken ?? 0;
  validateSamplingOptions(options);
  return { maxNewTokens, stopToken, padToken };
}

/** One batch, all prompts at once. Returns each prompt's completion (stop token excluded). */
export async function generateBatch<Cache extends DecoderKvCache>(
  session: DecoderSession<Cache>,
  prompts: readonly (readonly number[])[],
  options: TokenGenerationOptions = {},
): Promise<number[][]> {
  const { vocabSize, contextLength } = session.config;
  const { maxNewTokens, stopToken, padToken } = resolveOptions(options, session);
  validatePrompts(prompts, vocabSize);
  const greedy = isGreedy(options);
  const rows: Row[] = prompts.map((prompt) => ({
    tokens: prompt.slice(),
    completion: [],
    done: maxNewTokens === 0,
    random: greedy ? undefined : seededRandom(`${options.seed ?? 0}:${promptHash(prompt)}`),
  }));

  let cache: Cache | null = null;
  let cachedRows: number[] = [];
  let pads: number[] = [];
  try {
    for (;;) {
      const active = rows.flatMap((row, index) => (row.done ? [] : [index]));
      if (active.length === 0) break;
      let logits: Float32Array;
      const pastLength: number = cache === null ? 0 : cache.pastLength;
      if (cache === null || pastLength + 1 > contextLength) {
        // Prefill (first step, or the window is full): each unfinished row's last `contextLength` tokens.
        const windows = active.map((index) => (rows[index] as Row).tokens.slice(-contextLength));
        const width = Math.max(...windows.map((w) => w.length));
        const batch = windows.length;
        const inputIds = new Int32Array(batch * width).fill(padToken);
        const positionIds = new Int32Array(batch * width);
        const attentionMask = new Int32Array(batch * width);
        pads = windows.map((window, b) => {
          const pad = width - window.length;
          for (let j = 0; j < window.length; j++) {
            inputIds[b * width + pad + j] = window[j] as number;
            positionIds[b * width + pad + j] = j;
            attentionMask[b * width + pad + j] = 1;
          }
          return pad;
        });
        cache?.dispose();
        cache = null;
        const reserve = Math.min(contextLength, width + Math.max(...active.map((index) => maxNewTokens - (rows[index] as Row).completion.length)));
        const result = await session.step({ inputIds, positionIds, attentionMask, batch, seq: width, past: null, reserve });
        cache = result.present;
        cachedRows = active;
        logits = result.logits;
      } else {
        // One decode step for every row in the cache; rows that finished are fed padding and ignored.
        const batch = cachedRows.length;
        const total = pastLength + 1;
        const inputIds = new Int32Array(batch);
        const positionIds = new Int32Array(batch);
        const attentionMask = new Int32Array(batch * total);
        cachedRows.forEach((index, b) => {
          const row = rows[index] as Row;
          const pad = pads[b] as number;
          inputIds[b] = row.done ? padToken : (row.tokens[row.tokens.length - 1] as number);
          // The new token's position counted from the row's first real token; a finished row's value is unused.
          positionIds[b] = row.done ? 0 : total - 1 - pad;
          attentionMask.fill(1, b * total + pad, (b + 1) * total);
        });
        const result = await session.step({ inputIds, positionIds, attentionMask, batch, seq: 1, past: cache, extendInPlace: true });
        cache.dispose();
        cache = result.present;
        logits = result.logits;
      }
      cachedRows.forEach((index, b) => {
        const row = rows[index] as Row;
        if (row.done) return;
        const token = sampleToken(logits, options, row.random ?? (() => 0), b * vocabSize, vocabSize);
        if (token === stopToken) {
          row.done = true;
          return;
        }
        row.tokens.push(token);
        row.completion.push(token);
        if (row.completion.length >= maxNewTokens) row.done = true;
      });
      // Drop finished rows from the cache once they are a quarter of it (each drop moves the cache once).
      const live = cachedRows.flatMap((index, b) => ((rows[index] as Row).done ? [] : [b]));
      if (session.keepRows && cache && live.length > 0 && cachedRows.length - live.length >= Math.max(1, Math.ceil(cachedRows.length / 4))) {
        cache = session.keepRows(cache, live);
        cachedRows = live.map((b) => cachedRows[b] as number);
        pads = live.map((b) => pads[b] as number);
      }
    }
  } finally {
    cache?.dispose();
  }
  return rows.map((row) => row.completion);
}

/** All prompts, batched by length; completions come back in the prompts' order. */
export async function generateTokens<Cache extends DecoderKvCache>(
  session: DecoderSession<Cache>,
  prompts: readonly (readonly number[])[],
  options: TokenGenerationOptions = {},
): Promise<number[][]> {
  resolveOptions(options, session);
  validatePrompts(prompts, session.config.vocabSize);
  const out: number[][] = new Array<number[]>(prompts.length);
  for (const indices of lengthSortedBatches(prompts.map((p) => p.length), options.batchSize ?? DEFAULT_GENERATION_BATCH_SIZE)) {
    const completions = await generateBatch(session, indices.map((i) => prompts[i] as number[]), options);
    indices.forEach((promptIndex, b) => {
      out[promptIndex] = completions[b] as number[];
    });
    await options.onBatch?.(indices, completions);
  }
  return out;
}

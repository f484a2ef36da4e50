// A deterministic stand-in for a GPT-2 decoder session, for tests: the next-token logits are a fixed hash of
// every visible (token, position) pair plus a bigram term, summed in position order. Padding, a wrong position
// id or a wrong attention mask changes the logits, and the cache follows the real session's contract
// (`present` is a new cache; `past` is left alone), so batched generation can be checked against one prompt at a
// time without ONNX Runtime.
import type { DecoderKvCache, DecoderSession, DecoderStepArgs } from '../decoder-session.js';

export interface ToyDecoderOptions {
  vocabSize?: number;
  contextLength?: number;
  seed?: number;
  /** Offer `keepRows`, as the engine's slot-cache session does. */
  keepRows?: boolean;
}

export class ToyKvCache implements DecoderKvCache {
  disposed = false;
  constructor(
    /** Per row: the tokens and positions seen so far, one per cache slot (padding included). */
    readonly tokens: Int32Array[],
    readonly positions: Int32Array[],
    private readonly live: Set<ToyKvCache>,
  ) {
    live.add(this);
  }

  get pastLength(): number {
    return this.tokens[0]?.length ?? 0;
  }

  dispose(): void {
    this.disposed = true;
    this.live.delete(this);
  }
}

function mix(a: number, b: number, c: number, seed: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35) ^ Math.imul(c + 0x7f4a7c15, 0x27d4eb2f) ^ seed;
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  h = Math.imul(h, 0x297a2d39);
  h ^= h >>> 15;
  return (h >>> 0) / 4294967296 - 0.5;
}

export class ToyDecoderSession implements DecoderSession<ToyKvCache> {
  readonly config: { vocabSize: number; contextLength: number };
  readonly device = 'cpu' as const;
  readonly liveCaches = new Set<ToyKvCache>();
  readonly calls: { batch: number; seq: number; past: number }[] = [];
  /** The rows each `keepRows` call kept. */
  readonly kept: number[][] = [];
  readonly keepRows?: (cache: ToyKvCache, rows: readonly number[]) => ToyKvCache;
  readonly #seed: number;

  constructor(options: ToyDecoderOptions = {}) {
    this.config = { vocabSize: options.vocabSize ?? 61, contextLength: options.contextLength ?? 64 };
    this.#seed = options.seed ?? 1;
    if (options.keepRows) {
      this.keepRows = (cache, rows) => {
        if (cache.disposed) throw new Error('toy session: keepRows on a disposed cache');
        this.kept.push([...rows]);
        const kept = new ToyKvCache(rows.map((r) => cache.tokens[r] as Int32Array), rows.map((r) => cache.positions[r] as Int32Array), this.liveCaches);
        cache.dispose();
        return kept;
      };
    }
  }

  async step(args: DecoderStepArgs<ToyKvCache>): Promise<{ logits: Float32Array; present: ToyKvCache }> {
    const { inputIds, positionIds, attentionMask, batch, seq, past } = args;
    const { vocabSize, contextLength } = this.config;
    const pastLength = past?.pastLength ?? 0;
    const total = pastLength + seq;
    if (past?.disposed) throw new Error('toy session: past cache was disposed');
    if (past && past.tokens.length !== batch) throw new Error(`toy session: past has ${past.tokens.length} rows, batch is ${batch}`);
    if (inputIds.length !== batch * seq || positionIds.length !== batch * seq) throw new Error('toy session: inputIds/positionIds shape');
    if (attentionMask.length !== batch * total) throw new Error(`toy session: attentionMask has ${attentionMask.length} values, expected ${batch * total}`);
    if (total > contextLength) throw new Error(`toy session: ${total} positions exceed the context length ${contextLength}`);
    this.calls.push({ batch, seq, past: pastLength });
    const tokens: Int32Array[] = [];
    const positions: Int32Array[] = [];
    const logits = new Float32Array(batch * vocabSize);
    for (let b = 0; b < batch; b++) {
      const rowTokens = new Int32Array(total);
      const rowPositions = new Int32Array(total);
      if (past) {
        rowTokens.set(past.tokens[b] as Int32Array);
        rowPositions.set(past.positions[b] as Int32Array);
      }
      rowTokens.set(inputIds.subarray(b * seq, (b + 1) * seq), pastLength);
      rowPositions.set(positionIds.subarray(b * seq, (b + 1) * seq), pastLength);
      tokens.push(rowTokens);
      positions.push(rowPositions);
      const mask = attentionMask.subarray(b * total, (b + 1) * total);
      if (mask[total - 1] !== 1) continue; // a padded last position: its logits are never read
      for (let j = 0; j < total; j++) {
        if (mask[j] !== 1) continue;
        const position = rowPositions[j] as number;
        const token = rowTokens[j] as number;
        if (position < 0 || position >= contextLength) throw new Error(`toy session: position ${position} outside [0, ${contextLength})`);
        if (token < 0 || token >= vocabSize) throw new Error(`toy session: token ${token} outside the vocabulary`);
        for (let v = 0; v < vocabSize; v++) logits[b * vocabSize + v] = (logits[b * vocabSize + v] as number) + mix(token, position, v, this.#seed);
      }
      const last = rowTokens[total - 1] as number;
      for (let v = 0; v < vocabSize; v++) logits[b * vocabSize + v] = (logits[b * vocabSize + v] as number) + 4 * mix(last, -1, v, this.#seed);
    }
    return { logits, present: new ToyKvCache(tokens, positions, this.liveCaches) };
  }

  async dispose(): Promise<void> {}
}

// What generation needs from a model: one forward step with a KV cache. The engine's `Gpt2DecoderSession`
// satisfies it structurally; tests use a small fake. Kept here, narrow, so generation never loads ONNX Runtime.
import type { Tokenizer } from '@judgekit/core';

export interface DecoderKvCache {
  readonly pastLength: number;
  dispose(): void;
}

export interface DecoderStepArgs<Cache extends DecoderKvCache = DecoderKvCache> {
  /** [batch, seq] token ids. */
  inputIds: Int32Array;
  /** [batch, seq] positions, counted from each row's first real (unpadded) token. */
  positionIds: Int32Array;
  /** [batch, past.pastLength + seq]: 1 for real tokens, 0 for padding. */
  attentionMask: Int32Array;
  batch: number;
  seq: number;
  past: Cache | null;
  /** Positions the returned cache should have room for (a hint for sessions that preallocate). */
  reserve?: number;
  /** The caller will not use `past` again, so the session may extend it in place (disposing `past`). */
  extendInPlace?: boolean;
}

export interface DecoderSession<Cache extends DecoderKvCache = DecoderKvCache> {
  readonly config: { readonly vocabSize: number; readonly contextLength: number };
  /** Where it runs (`cpu`, `cuda`, `webgpu`), for messages. */
  readonly device?: string;
  /** The model's tokenizer, when the session knows it: its end-of-text id is the default stop token. */
  readonly tokenizer?: Tokenizer;
  /** Logits of each row's last position, [batch, vocab], and the cache extended by `seq` (`past` stays alive). */
  step(args: DecoderStepArgs<Cache>): Promise<{ logits: Float32Array; present: Cache }>;
  /**
   * Optional: the cache with only `rows` (ascending row indices) left, so finished rows stop costing compute. The
   * given cache is consumed. Sessions that cannot do it cheaply leave it out.
   */
  keepRows?(cache: Cache, rows: readonly number[]): Cache;
  dispose(): Promise<void>;
}

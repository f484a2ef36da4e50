// The study's generation loop as written, one prompt at a time and without a KV cache: before every token, crop to
// the last `contextLength` tokens and run the whole window. Slow; kept as the yardstick batched generation is
// tested against.
import type { DecoderKvCache, DecoderSession } from './decoder-session.js';
import { defaultStopToken, STUDY_MAX_NEW_TOKENS } from './batched-generation.js';
import { argmax } from './token-sampler.js';

export async function generateGreedyUncached<Cache extends DecoderKvCache>(
  session: DecoderSession<Cache>,
  prompt: readonly number[],
  options: { maxNewTokens?: number; stopToken?: number | null } = {},
): Promise<number[]> {
  const maxNewTokens = options.maxNewTokens ?? STUDY_MAX_NEW_TOKENS;
  const stopToken = options.stopToken === undefined ? defaultStopToken(session) : options.stopToken;
  const { contextLength, vocabSize } = session.config;
  const tokens = prompt.slice();
  const completion: number[] = [];
  while (completion.length < maxNewTokens) {
    const window = tokens.slice(-contextLength);
    const seq = window.length;
    const { logits, present } = await session.step({
      inputIds: Int32Array.from(window),
      positionIds: Int32Array.from(window, (_, i) => i),
      attentionMask: new Int32Array(seq).fill(1),
      batch: 1,
      seq,
      past: null,
    });
    present.dispose();
    const token = argmax(logits, 0, vocabSize);
    if (token === stopToken) break;
    tokens.push(token);
    completion.push(token);
  }
  return completion;
}

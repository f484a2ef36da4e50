// The decoding primitive: one ONNX Runtime session with a KV cache. Prefill a left-padded batch, then feed one
// token per row; each step returns the last position's logits [batch, vocab] and the extended cache.
import { createGpt2DecoderSession } from '@judgekit/backends';
import { createTinyGpt2 } from '@judgekit/backends/testing';

const tiny = await createTinyGpt2({ seed: 3, vocabSize: 100, contextLength: 16 });
const session = await createGpt2DecoderSession(tiny.checkpointPath, { device: 'cpu' });
try {
  // Two prompts, [5, 6, 7] and [8], left-padded to width 3 (padding: mask 0, any valid id).
  const prefill = await session.step({
    inputIds: Int32Array.from([5, 6, 7, 0, 0, 8]),
    positionIds: Int32Array.from([0, 1, 2, 0, 0, 0]),
    attentionMask: Int32Array.from([1, 1, 1, 0, 0, 1]),
    batch: 2,
    seq: 3,
    past: null,
  });
  const argmax = (logits: Float32Array, row: number) => {
    const v = session.config.vocabSize;
    let best = 0;
    for (let i = 1; i < v; i++) if (logits[row * v + i]! > logits[row * v + best]!) best = i;
    return best;
  };
  const next = [argmax(prefill.logits, 0), argmax(prefill.logits, 1)];
  const step = await session.step({
    inputIds: Int32Array.from(next),
    positionIds: Int32Array.from([3, 1]),
    attentionMask: Int32Array.from([1, 1, 1, 1, 0, 0, 1, 1]),
    batch: 2,
    seq: 1,
    past: prefill.present,
  });
  prefill.present.dispose();
  console.log(`device ${session.device}; greedy tokens ${next.join(', ')} then ${argmax(step.logits, 0)}, ${argmax(step.logits, 1)}; cache length ${step.present.pastLength}`);
  step.present.dispose();
} finally {
  await session.dispose();
}

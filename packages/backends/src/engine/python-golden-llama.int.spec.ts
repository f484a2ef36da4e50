// The Llama inference engine against golden values from an independent implementation: float64 PyTorch in
// scripts/verify/llama_golden.py, which wrote the checkpoints (its own safetensors writer; F32, BF16 and F16) with
// grouped-query attention (4 query heads on 2 KV heads), multi-query attention with head_dim 16 != hidden / heads,
// attention biases, tied and untied heads. Each checkpoint goes through judgekit's real path: the safetensors loader,
// the ONNX graphs, ONNX Runtime's CPU provider, the KV caches and batched generation.
//
// Tolerance: 1e-4 x max(1, |golden|), as GPT-2's. PyTorch computes in float64 from exactly the values in the files,
// so what is left is ONNX Runtime's float32 arithmetic: measured worst cases 1.1e-5 for the last logits (which span
// -19.4 to 17.2) and 1.5e-6 for NLL. Faults put into the loaded gqa-bias model moved its NLL by 1.1 (rope_theta
// 10000 instead of 500), 1.2 (layer 0's two KV heads swapped), 6.6e-2 (layer 1's o_proj bias left out); an RMSNorm
// epsilon of 1e-5 instead of 1e-6 moves it by only 1.2e-5 and is not caught here. The greedy tokens are compared
// exactly: the script checked that no step's best and second-best logits are closer than 5.6e-3.
import { describe, expect, it } from 'vitest';
import { loadLlamaCheckpoint } from '../architectures/llama/load-llama-checkpoint.js';
import { generateTokens } from '../generation/batched-generation.js';
import { generateGreedyUncached } from '../generation/reference-generation.js';
import { createGpt2DecoderSession, type KvCache } from './gpt2-decoder-session.js';
import { createGpt2LikelihoodModel } from './gpt2-likelihood-model.js';
import { maxScaledError } from './python-golden-fixtures.js';
import { LLAMA_GOLDEN_CASES, llamaGoldenCheckpoint, readLlamaGolden } from './python-golden-llama-fixtures.js';

const golden = readLlamaGolden();
const TOLERANCE = 1e-4;

describe('the Llama engine against golden values computed by PyTorch (scripts/verify/llama_golden.py)', () => {
  it.each(LLAMA_GOLDEN_CASES)('%s: the checkpoint written by Python loads with the shape its config.json states', async (name) => {
    const loaded = await loadLlamaCheckpoint(llamaGoldenCheckpoint(name));
    const c = golden.cases[name].config;
    expect(loaded.config).toMatchObject({
      vocabSize: c.vocab_size,
      contextLength: c.max_position_embeddings,
      embDim: c.hidden_size,
      nLayers: c.num_hidden_layers,
      nHeads: c.num_attention_heads,
      nKvHeads: c.num_key_value_heads,
      headDim: c.head_dim,
      intermediateSize: c.intermediate_size,
      rmsNormEps: c.rms_norm_eps,
      ropeTheta: c.rope_theta,
      tiedHead: c.tie_word_embeddings,
      attentionBias: c.attention_bias,
      eosTokenId: 2,
    });
    expect(loaded.parameters.has('lm_head.weight')).toBe(!c.tie_word_embeddings);
  });

  it.each(LLAMA_GOLDEN_CASES)("%s: per-token NLL and the mean token loss from the loss graph equal PyTorch's within 1e-4 relative", async (name) => {
    const expected = golden.cases[name];
    const model = await createGpt2LikelihoodModel(llamaGoldenCheckpoint(name), { device: 'cpu', threads: 1 });
    try {
      // All sequences in one padded batch: ignored targets (-100) past each sequence's end.
      const seq = Math.max(...golden.sequences.map((s) => s.length - 1));
      const inputs = new Int32Array(golden.sequences.length * seq);
      const targets = new Int32Array(golden.sequences.length * seq).fill(-100);
      golden.sequences.forEach((tokens, row) => {
        inputs.set(tokens.slice(0, -1), row * seq);
        targets.set(tokens.slice(1), row * seq);
      });
      const { nll } = await model.tokenNll(inputs, targets, golden.sequences.length, seq);
      const all: number[] = [];
      expected.sequences.forEach((sequence, row) => {
        const actual = Array.from(nll.subarray(row * seq, row * seq + sequence.nll.length));
        expect(maxScaledError(actual, sequence.nll), `sequence ${row}`).toBeLessThan(TOLERANCE);
        all.push(...actual);
      });
      const mean = all.reduce((a, b) => a + b, 0) / all.length;
      expect(Math.abs(mean - expected.meanTokenLoss) / expected.meanTokenLoss).toBeLessThan(TOLERANCE);
    } finally {
      await model.dispose();
    }
  });

  it.each(LLAMA_GOLDEN_CASES.flatMap((name) => [[name, 'slots'] as const, [name, 'concat'] as const]))(
    "%s, %s KV cache: the decoder's logits equal PyTorch's within 1e-4 relative, prefilled and token by token",
    async (name, cache) => {
      const expected = golden.cases[name];
      const session = await createGpt2DecoderSession(llamaGoldenCheckpoint(name), { device: 'cpu', threads: 1, cache });
      try {
        for (const [s, tokens] of golden.sequences.entries()) {
          const ids = tokens.slice(0, -1);
          const T = ids.length;
          const full = await session.step({ inputIds: Int32Array.from(ids), positionIds: Int32Array.from(ids, (_, i) => i), attentionMask: new Int32Array(T).fill(1), batch: 1, seq: T, past: null });
          full.present.dispose();
          expect(maxScaledError(full.logits, expected.sequences[s]!.lastLogits), `sequence ${s} prefilled`).toBeLessThan(TOLERANCE);
          let past: KvCache | null = null;
          for (let t = 0; t < T; t++) {
            const step: { logits: Float32Array; present: KvCache } = await session.step({ inputIds: Int32Array.of(ids[t]!), positionIds: Int32Array.of(t), attentionMask: new Int32Array(t + 1).fill(1), batch: 1, seq: 1, past });
            past?.dispose();
            past = step.present;
            const picked = golden.logitIds.map((id) => step.logits[id]!);
            const want = golden.logitIds.map((_, j) => expected.sequences[s]!.selectedLogits[j]![t]!);
            expect(maxScaledError(picked, want), `sequence ${s}, position ${t}`).toBeLessThan(TOLERANCE);
          }
          past?.dispose();
        }
      } finally {
        await session.dispose();
      }
    },
  );

  it.each(LLAMA_GOLDEN_CASES)(
    "%s: greedy generation with the KV cache, batched and one prompt at a time, equals no-cache recomputation and PyTorch's tokens",
    async (name) => {
      const expected = golden.cases[name].greedy;
      const session = await createGpt2DecoderSession(llamaGoldenCheckpoint(name), { device: 'cpu', threads: 1 });
      try {
        const options = { maxNewTokens: golden.newTokens, stopToken: null };
        const prompts = expected.map((g) => g.prompt);
        const uncached: number[][] = [];
        for (const prompt of prompts) uncached.push(await generateGreedyUncached(session, prompt, options));
        const oneAtATime: number[][] = [];
        for (const prompt of prompts) oneAtATime.push(...(await generateTokens(session, [prompt], { ...options, batchSize: 1 })));
        // Both prompts (5 and 3 tokens) in one left-padded batch.
        const batched = await generateTokens(session, prompts, { ...options, batchSize: 2 });
        const want = expected.map((g) => g.tokens);
        expect(uncached).toEqual(want);
        expect(oneAtATime).toEqual(want);
        expect(batched).toEqual(want);
      } finally {
        await session.dispose();
      }
    },
  );
});

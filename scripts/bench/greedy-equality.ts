// `npm run bench -- greedy-equality`: on a GPT-2-small-shaped model (n_layer 12, n_embd 768, n_head 12, vocab
// 50257, seeded random weights under .bench/, the same checkpoint as the loss and generate benchmarks), greedy
// decoding of prompts of different lengths gives the same tokens batched (one left-padded batch, KV cache) as one
// prompt at a time (KV cache) and as the study's uncached loop. The tiny-model test of the same property is
// packages/backends/src/generation/batched-generation.int.spec.ts; this one is too slow for the test suite.
// Options: --eq-tokens=N (new tokens, default 16), --eq-threads=N (ONNX Runtime threads, default its own).
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { seededRandom } from '@judgekit/core';
import { createTinyGpt2 } from '../../packages/backends/src/architectures/gpt2/create-tiny-gpt2.ts';
import { createGpt2DecoderSession, type Gpt2DecoderSession } from '../../packages/backends/src/engine/gpt2-decoder-session.ts';
import { generateTokens } from '../../packages/backends/src/generation/batched-generation.ts';
import { generateGreedyUncached } from '../../packages/backends/src/generation/reference-generation.ts';
import { fmt, machineLine } from './lib/bench-doc.ts';
import { BENCH_ROOT, GPT2_SMALL } from './lib/gpt2-small-model.ts';

const PROMPT_LENGTHS = [1, 7, 23, 64, 150];

function option(args: string[], name: string): number | undefined {
  const hit = args.find((a) => a.startsWith(`--${name}=`));
  if (!hit) return undefined;
  const value = Number(hit.slice(name.length + 3));
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}

/** The benchmark checkpoint only (ensureGpt2SmallModel also writes the transformers.js folder, not needed here). */
async function gpt2SmallCheckpoint(log: (line: string) => void): Promise<string> {
  const dir = join(BENCH_ROOT, 'gpt2-small-random');
  const checkpointPath = join(dir, 'model.safetensors');
  if (!existsSync(checkpointPath)) {
    log('building the GPT-2-small-shaped model with seeded random weights (once) ...');
    await mkdir(dir, { recursive: true });
    await createTinyGpt2({ ...GPT2_SMALL, seed: 124, naming: 'hf', dir, name: 'model', scale: 0.02 });
  }
  return checkpointPath;
}

/** Largest minus second-largest logit: how close greedy decoding was to a tie. */
function topGap(logits: Float32Array): number {
  let first = -Infinity;
  let second = -Infinity;
  for (const x of logits) {
    if (x > first) [first, second] = [x, first];
    else if (x > second) second = x;
  }
  return first - second;
}

/** The top-2 logit gap before each token of `completion`, replayed after `prompt` through the KV cache. */
async function greedyGaps(session: Gpt2DecoderSession, prompt: readonly number[], completion: readonly number[]): Promise<number[]> {
  const gaps: number[] = [];
  let step = await session.step({ inputIds: Int32Array.from(prompt), positionIds: Int32Array.from(prompt, (_, i) => i), attentionMask: new Int32Array(prompt.length).fill(1), batch: 1, seq: prompt.length, past: null });
  for (let i = 0; i < completion.length; i++) {
    gaps.push(topGap(step.logits));
    if (i === completion.length - 1) break;
    const position = prompt.length + i;
    const next = await session.step({ inputIds: Int32Array.of(completion[i]!), positionIds: Int32Array.of(position), attentionMask: new Int32Array(position + 1).fill(1), batch: 1, seq: 1, past: step.present });
    step.present.dispose();
    step = next;
  }
  step.present.dispose();
  return gaps;
}

function firstDifference(a: readonly number[], b: readonly number[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i === a.length && i === b.length ? -1 : i;
}

export default async function greedyEqualityBench(args: string[]): Promise<void> {
  const maxNewTokens = option(args, 'eq-tokens') ?? 16;
  const threads = option(args, 'eq-threads');
  const log = (line: string) => console.log(`  ${line}`);
  log(await machineLine());
  const checkpointPath = await gpt2SmallCheckpoint(log);
  const random = seededRandom('greedy-equality');
  const prompts = PROMPT_LENGTHS.map((n) => Array.from({ length: n }, () => Math.floor(random() * GPT2_SMALL.vocabSize)));
  const session = await createGpt2DecoderSession(checkpointPath, { device: 'cpu', ...(threads ? { threads } : {}) });
  try {
    // No stop token: every prompt decodes exactly maxNewTokens tokens, so the sequences compare position by position.
    const options = { maxNewTokens, stopToken: null };
    let t = performance.now();
    const batched = await generateTokens(session, prompts, { ...options, batchSize: prompts.length });
    const batchedSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    const single = await generateTokens(session, prompts, { ...options, batchSize: 1 });
    const singleSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    const uncached: number[][] = [];
    for (const prompt of prompts) uncached.push(await generateGreedyUncached(session, prompt, options));
    const uncachedSeconds = (performance.now() - t) / 1000;
    let equal = 0;
    for (const [i, prompt] of prompts.entries()) {
      const vsSingle = firstDifference(batched[i]!, single[i]!);
      const vsUncached = firstDifference(batched[i]!, uncached[i]!);
      const same = vsSingle < 0 && vsUncached < 0;
      if (same) equal += 1;
      // How near a tie each greedy choice of the uncached loop was (a tie within float noise could flip a token).
      const gaps = await greedyGaps(session, prompt, uncached[i]!);
      let detail = `; ${new Set(uncached[i]).size} distinct tokens, smallest top-2 logit gap ${Math.min(...gaps).toExponential(2)}`;
      if (!same) {
        const at = Math.min(...[vsSingle, vsUncached].filter((d) => d >= 0));
        detail += `; first difference at new token ${at} (batched vs single ${vsSingle}, vs uncached ${vsUncached}), top-2 logit gap there ${gaps[at]?.toExponential(2) ?? '-'}`;
      }
      log(`prompt of ${prompt.length} tokens: ${same ? 'identical' : 'DIFFERENT'} (${batched[i]!.length} new tokens${detail})`);
    }
    log(`batched ${fmt(batchedSeconds, 2)} s, one at a time ${fmt(singleSeconds, 2)} s, uncached ${fmt(uncachedSeconds, 2)} s`);
    console.log(`  all token sequences equal: ${equal === prompts.length ? 'yes' : 'no'} (${equal}/${prompts.length} prompts; lengths ${PROMPT_LENGTHS.join(', ')}; ${maxNewTokens} new tokens; batched = one batch of ${prompts.length}, KV cache; single = batch size 1, KV cache; uncached = the study's loop)`);
    if (equal !== prompts.length) process.exitCode = 1;
  } finally {
    await session.dispose();
  }
}

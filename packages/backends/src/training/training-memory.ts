// How much memory fine-tuning needs, said before it starts: the weights, their gradients, AdamW's two moments (all
// F32 on the host), the activations one training step keeps for the batch shape, and the runtime itself. Compared
// with what the machine has, so a run that does not fit (GPT-2 XL on a 24 GiB machine) is refused up front with the
// figures, not killed by the kernel an hour in.
import { readFileSync } from 'node:fs';
import { freemem } from 'node:os';
import { JudgekitError } from '@judgekit/core';
import type { ModelDimensions } from '../architectures/architecture.js';

/**
 * Per layer and token, the floats a training step holds per unit of width, and per layer the [batch, heads, seq, seq]
 * attention tensors, at its peak: the end of the forward pass, where every layer's values that the backward pass
 * reads are alive. They are counted from ONNX Runtime's schedule of the GPT-2 graph (gpt2-train-graph.ts): per
 * layer eight [tokens, width] tensors (the residual stream twice, both LayerNorm outputs, q, k, v, the attention
 * output) and the c_fc output [tokens, 4 x width] = 12 x [tokens, width], and one attention map (the softmax).
 * These parts alone came to 7-15% below the measured peaks, more for bigger models (see UNITEMISED_WEIGHT_COPIES).
 */
const LAYER_FLOATS_PER_TOKEN_AND_WIDTH = 12;
/**
 * A gated MLP (Llama's SwiGLU, shapes with an `intermediateSize`) keeps three [tokens, intermediate] tensors per
 * layer instead of the c_fc output's 4 x width: the gate, its sigmoid and up (llama-train-graph.ts recomputes the rest
 * in the backward pass), next to the same 8 x width of the attention part. Measured on the SmolLM-135M shape at 8 x 256:
 * 6.31 GiB = 6.78 GB peak RSS (docs/benchmarks.md, bench:train-smollm-135m), estimate 6.2 GB (5.6 GB counted as GPT-2).
 */
const GATED_ATTENTION_FLOATS_PER_TOKEN_AND_WIDTH = 8;
const GATED_MLP_TENSORS = 3;
const ATTENTION_MAPS_PER_LAYER = 1;
/** [tokens, vocab] tensors alive at once at the peak: the logits and their log-softmax (then the log-softmax and the softmax gradient). */
const VOCAB_TENSORS = 2;
/** Node, ONNX Runtime, the graphs and the tokenizer. */
const RUNTIME_BYTES = 350 * 2 ** 20;
/**
 * What the measured peaks hold beyond the itemised parts, in F32 copies of the weights. Peak RSS at 8 x 256 against
 * the itemised sum (weights, gradients, moments, activations, runtime): GPT-2 small 4.70 GB against 4.4 GB (+0.3 GB,
 * 0.6 x its 0.50 GB of weights), the SmolLM-135M-shaped Llama 6.78 against 6.16 (+0.6 GB, 1.15 x 0.54 GB), GPT-2
 * medium 11.39 against 10.1 (+1.3 GB, 0.9 x 1.42 GB), GPT-2 large 22.61 against 19.6 (+3.0 GB, 1.0 x 3.10 GB)
 * (docs/benchmarks.md: bench:train, bench:train-smollm-135m, bench:big-medium, bench:big). Not itemised: which
 * buffers of ONNX Runtime's training step make it was not isolated. 1.25 copies keeps every measured case below the
 * estimate (by 1-6%), so a run that would not fit is refused rather than killed.
 */
const UNITEMISED_WEIGHT_COPIES = 1.25;
const F32 = 4;

export interface TrainingMemoryInput {
  /** The model's dimensions; `intermediateSize` (a Llama config's) marks a gated MLP of that width. */
  shape: ModelDimensions & { intermediateSize?: number };
  /** Trainable parameters (elements). */
  parameters: number;
  /** Rows per micro-batch. */
  batchSize: number;
  /** Tokens per row: the longest padded row the run will see. */
  seq: number;
  /** Micro-batches per step; above 1 a second set of gradients is kept. */
  gradientAccumulation?: number;
  /**
   * Early stopping keeps the best epoch's weights as another copy (trainEpochs without `readAcceptedWeights`;
   * finetune() reads them back from its checkpoint instead and passes false).
   */
  earlyStopping?: boolean;
}

export interface TrainingMemoryEstimate {
  /** The estimated peak, in bytes. */
  bytes: number;
  parts: {
    weights: number;
    gradients: number;
    optimizer: number;
    /** The best epoch's weights (early stopping), else 0. */
    bestWeights: number;
    activations: number;
    runtime: number;
    /** Measured beyond the other parts: UNITEMISED_WEIGHT_COPIES x the weights. */
    unitemised: number;
  };
  batchSize: number;
  seq: number;
}

/** The memory a fine-tuning run needs at its peak (a training step), by part. */
export function estimateTrainingMemory(input: TrainingMemoryInput): TrainingMemoryEstimate {
  const { shape, parameters, batchSize, seq } = input;
  const tokens = batchSize * seq;
  const weights = parameters * F32;
  const gradients = weights * ((input.gradientAccumulation ?? 1) > 1 ? 2 : 1);
  const optimizer = 2 * weights;
  const bestWeights = input.earlyStopping ? weights : 0;
  const intermediate = shape.intermediateSize;
  const floatsPerToken =
    intermediate !== undefined
      ? GATED_ATTENTION_FLOATS_PER_TOKEN_AND_WIDTH * shape.embDim + GATED_MLP_TENSORS * intermediate
      : LAYER_FLOATS_PER_TOKEN_AND_WIDTH * shape.embDim;
  const perLayer = floatsPerToken * tokens + ATTENTION_MAPS_PER_LAYER * batchSize * shape.nHeads * seq * seq;
  const activations = F32 * (shape.nLayers * perLayer + VOCAB_TENSORS * tokens * shape.vocabSize);
  const parts = { weights, gradients, optimizer, bestWeights, activations, runtime: RUNTIME_BYTES, unitemised: UNITEMISED_WEIGHT_COPIES * weights };
  const bytes = Object.values(parts).reduce((sum, part) => sum + part, 0);
  return { bytes, parts, batchSize, seq };
}

/** `n` bytes in GB (10^9), one decimal. */
export function formatGb(bytes: number): string {
  return `${(bytes / 1e9).toFixed(1)} GB`;
}

/** One line: the estimate and its parts. */
export function describeTrainingMemory(estimate: TrainingMemoryEstimate): string {
  const p = estimate.parts;
  return (
    `about ${formatGb(estimate.bytes)} (weights ${formatGb(p.weights)}, gradients ${formatGb(p.gradients)}, AdamW moments ${formatGb(p.optimizer)}` +
    `${p.bestWeights ? `, best epoch's weights ${formatGb(p.bestWeights)}` : ''}, activations at batch ${estimate.batchSize} x ${estimate.seq} ${formatGb(p.activations)}, runtime ${formatGb(p.runtime)}, ` +
    `not itemised ${formatGb(p.unitemised)})`
  );
}

/**
 * Memory this process may still use: the kernel's MemAvailable (or the cgroup's limit less its usage, when lower),
 * plus what the process already holds (the loaded weights count toward the estimate).
 */
export function availableMemoryBytes(): number {
  let available = freemem();
  try {
    const match = /^MemAvailable:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (match) available = Number(match[1]) * 1024;
  } catch {
    // Not Linux: os.freemem() it is.
  }
  try {
    const limit = readFileSync('/sys/fs/cgroup/memory.max', 'utf8').trim();
    const used = Number(readFileSync('/sys/fs/cgroup/memory.current', 'utf8').trim());
    if (/^\d+$/.test(limit) && Number.isFinite(used)) available = Math.min(available, Number(limit) - used);
  } catch {
    // No cgroup v2 limit.
  }
  return Math.max(0, available) + process.memoryUsage().rss;
}

/** Throw when `estimate` does not fit in `available` bytes, with both figures and what to change. */
export function assertTrainingMemoryFits(estimate: TrainingMemoryEstimate, available: number, what: string): void {
  if (estimate.bytes <= available) return;
  throw new JudgekitError(
    'device',
    `${what} needs ${describeTrainingMemory(estimate)} but this machine has ${formatGb(available)} available. ` +
      'Use a smaller batch or shorter rows (recipe batchSize, maxLength), a smaller model, or a machine with more memory; ' +
      'or start anyway with --skip-memory-check (judgekit finetune) or checkMemory: false (finetune()).',
  );
}

// Test support: the golden values that scripts/verify/gpt2_golden.py computed with float64 PyTorch (no judgekit
// code) for the tiny seeded GPT-2 it wrote in both checkpoint namings, committed under
// packages/backends/test-fixtures/verify/ (outside `files`, so not in the npm tarball). Regenerate them with
// `python3 scripts/verify/gpt2_golden.py`; the tests only read the files.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const GOLDEN_DIR = fileURLToPath(new URL('../../test-fixtures/verify/', import.meta.url));

export type GoldenNaming = 'hf' | 'book';

export interface GradientDigest {
  norm: number;
  sum: number;
  absMax: number;
  /** [flat index in judgekit's canonical layout, value]. */
  entries: Array<[number, number]>;
}

export interface GoldenNamingValues {
  sequences: Array<{ lastLogits: number[]; selectedLogits: number[][]; nll: number[] }>;
  meanTokenLoss: number;
  maskedPromptLoss: number;
  batchLoss: number;
  gradients: Record<string, GradientDigest>;
  lossAfterOneStep: number;
  stepL1: number;
  /** Per parameter: [flat index in the canonical layout, gradient there, weight after one AdamW step]. */
  afterOneStep: Record<string, Array<[number, number, number]>>;
}

export interface Gpt2Golden {
  torch: string;
  shape: { vocab: number; context: number; emb: number; layers: number; heads: number };
  padTokenId: number;
  adamw: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number };
  logitIds: number[];
  /** Token sequences: position t predicts token t + 1. */
  sequences: number[][];
  examples: Array<{ ids: number[]; promptLength: number }>;
  /** The book's custom_collate_fn applied to `examples` (pad `padTokenId`, truncated to the context). */
  batch: { batch: number; seq: number; inputs: number[]; targets: number[] };
  /** The same batch's targets with the prompt masked. */
  maskedTargets: number[];
  namings: Record<GoldenNaming, GoldenNamingValues>;
}

export function readGpt2Golden(): Gpt2Golden {
  return JSON.parse(readFileSync(`${GOLDEN_DIR}gpt2-golden.json`, 'utf8')) as Gpt2Golden;
}

export function goldenCheckpoint(naming: GoldenNaming): string {
  return `${GOLDEN_DIR}gpt2-${naming}/model.safetensors`;
}

/**
 * The largest error of `actual` against `expected`, each scaled by max(1, |expected|): relative for large values,
 * absolute for small ones.
 */
export function maxScaledError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} differs from the golden ${expected.length}`);
  let max = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i] as number;
    const error = Math.abs((actual[i] as number) - e) / Math.max(1, Math.abs(e));
    if (!(error <= max)) max = Number.isNaN(error) ? Number.POSITIVE_INFINITY : error;
  }
  return max;
}

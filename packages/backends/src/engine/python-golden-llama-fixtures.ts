// Test support: the golden values that scripts/verify/llama_golden.py computed with float64 PyTorch (no judgekit
// code) for the tiny seeded Llama checkpoints it wrote under packages/backends/test-fixtures/verify/llama-infer-*/.
// Regenerate them with `/usr/bin/python3 scripts/verify/llama_golden.py`; the tests only read the files.
import { readFileSync } from 'node:fs';
import { GOLDEN_DIR } from './python-golden-fixtures.js';

export const LLAMA_GOLDEN_CASES = ['llama-infer-gqa-tied', 'llama-infer-gqa-bias', 'llama-infer-mqa-f16'] as const;
export type LlamaGoldenCase = (typeof LLAMA_GOLDEN_CASES)[number];

export interface LlamaGoldenCaseValues {
  /** The config.json the script wrote beside the checkpoint. */
  config: Record<string, unknown>;
  dtype: 'F32' | 'F16' | 'BF16';
  sequences: Array<{ lastLogits: number[]; selectedLogits: number[][]; nll: number[] }>;
  meanTokenLoss: number;
  /** Greedy continuations of `prompts` (full recomputation each step) and the smallest top-1/top-2 logit gap. */
  greedy: Array<{ prompt: number[]; tokens: number[]; minGap: number }>;
}

export interface LlamaGolden {
  torch: string;
  logitIds: number[];
  /** Token sequences: position t predicts token t + 1. */
  sequences: number[][];
  prompts: number[][];
  newTokens: number;
  cases: Record<LlamaGoldenCase, LlamaGoldenCaseValues>;
}

export function readLlamaGolden(): LlamaGolden {
  return JSON.parse(readFileSync(`${GOLDEN_DIR}llama-golden.json`, 'utf8')) as LlamaGolden;
}

export function llamaGoldenCheckpoint(name: LlamaGoldenCase): string {
  return `${GOLDEN_DIR}${name}/model.safetensors`;
}

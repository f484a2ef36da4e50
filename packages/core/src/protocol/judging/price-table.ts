// Judge cost estimates: a small table of list prices (USD per 1M tokens) and the arithmetic. Prices change;
// the table says when it was taken and `--prices <file>` replaces or extends it.
import { readFile } from 'node:fs/promises';
import type { TokenUsage } from '../../contracts/chat-model-provider.js';
import { JudgekitError } from '../../errors.js';

export interface ModelPrice {
  /** USD per 1M input (prompt) tokens. */
  input: number;
  /** USD per 1M output (completion) tokens. */
  output: number;
}

/** Keyed by `provider:model`; a key without a provider matches the model under any provider. */
export type PriceTable = Record<string, ModelPrice>;

/** List prices as published by the vendors (standard tier, no batch discount), taken 2026-11. Check before trusting. */
export const DEFAULT_PRICES: PriceTable = {
  'openai:gpt-4o-mini': { input: 0.15, output: 0.6 },
  'openai:gpt-4o': { input: 2.5, output: 10 },
  'openai:gpt-4.1': { input: 2, output: 8 },
  'openai:gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'openai:gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'openai:gpt-5': { input: 1.25, output: 10 },
  'openai:gpt-5-mini': { input: 0.25, output: 2 },
  'openai:gpt-5-nano': { input: 0.05, output: 0.4 },
  'openai:gpt-5.1': { input: 1.25, output: 10 },
  'anthropic:claude-opus-4-1': { input: 15, output: 75 },
  'anthropic:claude-sonnet-4-5': { input: 3, output: 15 },
  'anthropic:claude-haiku-4-5': { input: 1, output: 5 },
  'anthropic:claude-3-5-haiku-latest': { input: 0.8, output: 4 },
};

export function findPrice(table: PriceTable, provider: string, model: string): ModelPrice | undefined {
  return table[`${provider}:${model}`] ?? table[model];
}

/** USD for `usage` at `price`. */
export function costUsd(usage: TokenUsage, price: ModelPrice): number {
  return (usage.prompt * price.input + usage.completion * price.output) / 1_000_000;
}

function isPrice(value: unknown): value is ModelPrice {
  if (typeof value !== 'object' || value === null) return false;
  const { input, output } = value as Record<string, unknown>;
  return typeof input === 'number' && input >= 0 && typeof output === 'number' && output >= 0;
}

/** Read a price table file `{ "provider:model": { "input": usdPer1M, "output": usdPer1M } }`. */
export async function loadPriceTable(file: string): Promise<PriceTable> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new JudgekitError('config', `Cannot read price table ${file}: ${(error as Error).message}. It must be JSON like {"openai:gpt-4o-mini": {"input": 0.15, "output": 0.6}}.`, { file, cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new JudgekitError('config', `Price table ${file} must be a JSON object keyed by "provider:model".`, { file });
  }
  const table: PriceTable = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!isPrice(value)) {
      throw new JudgekitError('config', `Price table ${file}: "${key}" must be {"input": <USD per 1M tokens>, "output": <USD per 1M tokens>} with non-negative numbers.`, { file, location: key });
    }
    table[key] = { input: value.input, output: value.output };
  }
  return table;
}

/** Rough token count for estimates before a run: about 4 characters per token for English text. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

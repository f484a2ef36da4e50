// The layout of a run directory: what `judgekit judge`, `judgekit run` and the model stages write, and what
// `judgekit report` and the analysis read. One place defines the names and shapes so writers and readers agree.
import { join } from 'node:path';
import type { JudgeItemResult, JudgeMode } from '../contracts/judge.js';
import type { LossRecord } from '../protocol/loss/loss-protocol.js';
import type { FlipRate } from '../analysis/flip-rate.js';
import type { AutoRepeatsRecord } from '../protocol/judging/auto-repeats.js';
import type { PairwiseResults } from '../analysis/pairwise-results.js';

export const RUN_FILES = {
  run: 'run.json',
  spend: 'spend.jsonl',
  items: 'items.json',
  judgments: 'judgments.jsonl',
  results: 'results.json',
  resultsMarkdown: 'results.md',
  resultsCsv: 'results.csv',
  loss: 'loss.json',
  report: 'report.html',
  reportMarkdown: 'report.md',
  /** Blind human ratings (`judgekit rate`), one line per rater and item submitted; see ratings.ts. */
  ratings: 'ratings.jsonl',
} as const;

/** `items.json`: the test items and every model's answers, in test-split order. */
export interface RunItems {
  items: Array<{ index: number; instruction: string; input: string; output: string; prompt: string }>;
  models: Array<{ name: string; file?: string; responses: string[] }>;
}

/** One line of `judgments.jsonl` (key `${judge}/${repeat}/${index}`): one judge's scores for one item. */
export interface JudgmentRecord extends JudgeItemResult {
  /** The judge's name in this run, e.g. `batched`, `single`, `reference` or a configured column name. */
  judge: string;
  mode: JudgeMode;
  provider: string;
  model: string;
  /**
   * Short content hashes of everything the judgment depends on, so a rerun reuses it only when all are
   * unchanged: the judge (its whole description: mode, model, sampling, wording, schema... and the endpoint), the
   * item (instruction, input, reference and the rendered prompt) and each model's answer, in `scores` order.
   */
  inputs?: JudgmentInputs;
}

export interface JudgmentInputs {
  judge: string;
  item: string;
  answers: string[];
}

/** One line of `spend.jsonl`: what one request to the judge's provider cost, written as it is spent. */
export interface SpendRecord {
  /** The session (process) that spent it: its start time and pid. */
  session: string;
  requests: number;
  failed: number;
  tokenUsage: { prompt: number; completion: number };
  /** Billed at this fraction of the list price: 0.5 for a provider batch's result. Absent: the list price. */
  priceFactor?: number;
  /**
   * What was paid for, where the same spend can be read twice: `batch <batch id> <custom id>` for a provider batch's
   * result, `unit <job id>` for a queue unit. A record whose key is already in the file is not written again.
   */
  key?: string;
}

/** The requests of a run billed at a batch price, as run.json (`cost.batch`) and results.json (`judges[].batch`) record them. */
export interface BatchSpendSummary {
  /** Fraction of the list price (0.5). */
  priceFactor: number;
  /** Per 1M tokens at the batch price; null when no price is known for the model. */
  price: { input: number; output: number } | null;
  requests: number;
  failed: number;
  tokenUsage: { prompt: number; completion: number };
  costUsd: number | null;
}

export function judgmentKey(judge: string, repeat: number, index: number): string {
  return `${judge}/${repeat}/${index}`;
}

export interface JudgeSummary {
  score: number;
  ci95: [number, number];
  scored: number;
  failed: number;
  /** Logprob judges (`logprobs: true`): the mean expected score (G-Eval style) beside the sampled `score`. */
  expected?: ExpectedScoreSummary;
}

/** Mean over items of each item's mean expected score, with a bootstrap CI over items. */
export interface ExpectedScoreSummary {
  score: number;
  ci95: [number, number];
  /** Items with at least one judgment that has a distribution. */
  items: number;
  /** Judgments (item x repeat) with a distribution. */
  judgments: number;
}

/** A loss in `results.json`: the loss stage's record, and `text` as results.md and the report print it (`formatLoss`). */
export interface LossDetails extends LossRecord {
  text: string;
}

/**
 * `results.json`. `score`, `ci95`, `scored`, `failed` are the first (primary) judge's. Each `ci95` is computed once,
 * by the judge stage; results.md, results.csv and the report print these, never a bootstrap of their own.
 */
export interface RunResults {
  models: Array<
    { name: string; loss?: number; lossDetails?: LossDetails } & JudgeSummary & {
      /** Every judge's summary by judge name (the primary one included). */
      judges?: Record<string, JudgeSummary>;
    }
  >;
  judges: Array<{
    name: string;
    mode: JudgeMode;
    provider: string;
    model: string;
    aggregate: 'drop-failed' | 'failed-as-zero';
    repeats: number;
    /** Scores read from replies that only the lenient parser accepts ("Score: 85", JSON with prose after it); absent in older runs. */
    lenientScores?: number;
    /** Requests of this judge answered by provider batches (`--execution batch-api`), at the batch price; absent when none were. */
    batch?: BatchSpendSummary;
    /** Flip rate between repeats (2 or more repeats); absent with one. */
    stability?: FlipRate;
    /**
     * Pairwise judges with 2 or more repeats: how often the verdict (winner or tie) on the same ordered pair of the
     * same item changes between repeats, from the logged `comparisons`, with a bootstrap CI over items. (`stability`
     * is computed on the win shares.) Absent in older runs.
     */
    verdictFlips?: Pick<FlipRate, 'repeats' | 'items' | 'comparisons' | 'flipRate' | 'flipRateCi95'>;
    /** `--repeats auto`: why it stopped, how many items each repeat judged, where the pairs stood. */
    autoRepeats?: AutoRepeatsRecord;
  }>;
  items: number;
  /** Pairwise judges by name: Bradley-Terry scores, win rates, position consistency, length control (see docs/analysis.md). */
  pairwise?: Record<string, PairwiseResults>;
}

/** `loss.json`, written by the loss stage: each model's loss with both aggregates and its protocol. */
export interface RunLosses {
  models: Array<{ name: string } & LossRecord>;
}

export function runFile(runDir: string, name: keyof typeof RUN_FILES): string {
  return join(runDir, RUN_FILES[name]);
}

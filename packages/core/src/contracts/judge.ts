// A judge scores the answers of one or more models to one test item. Single judges make one call per
// model, batched judges one call for all models, reference judges none.
import type { ChatRequest, TokenUsage } from './chat-model-provider.js';
import type { AlpacaRecord } from './records.js';

export type JudgeMode = 'single' | 'batched' | 'reference' | (string & {});

export interface JudgeItemInput {
  /** Index of the item in the test split. */
  index: number;
  /** Which repeat this is (0-based); part of every cache key so repeats are real samples. */
  repeat: number;
  record: AlpacaRecord;
  /** The full formatted Alpaca prompt the models answered. */
  prompt: string;
  answers: Array<{ model: string; response: string }>;
  signal?: AbortSignal;
}

export interface ModelScore {
  model: string;
  /** Integer 0-100 (a pairwise judge's win share, to 0.1), or null when the judge gave no usable score. */
  score: number | null;
  comments?: string;
  /** 1-based slot the model was shown in (batched judges). */
  position?: number;
  /** Why there is no score. */
  failure?: string;
  /** The judge's reply was readable only leniently (e.g. "Score: 85", JSON with prose after it), not strictly. */
  lenient?: true;
  /**
   * Judges with `logprobs: true`: the probability of each score token at the score's position and the expected score
   * (G-Eval style), beside the sampled `score`; or why there is none (e.g. the score took two tokens).
   */
  distribution?: ScoreDistribution;
  /**
   * Single judges: the judge's raw reply text to this model's call (its last attempt), secrets scrubbed when the
   * runner logs it. Batched judges put their one reply per call on the item (`JudgeItemResult.reply`) instead.
   * Not part of any input fingerprint or cache key.
   */
  reply?: string;
}

/** Probabilities over score values read from token log-probabilities. */
export type ScoreDistribution =
  | {
      /** Sum of score x probability, the probabilities renormalised over the score tokens seen. */
      expected: number;
      /** Probability mass the score tokens held before renormalising (how much of the top-k was a score). */
      mass: number;
      /** Score value (as a string key) -> renormalised probability. */
      probabilities: Record<string, number>;
    }
  | { unavailable: string };

/** One pairwise verdict (pairwise judges): which of two answers, shown as "Model A" then "Model B", is better. */
export interface PairwiseComparison {
  /** The model shown first ("Model A"). */
  a: string;
  /** The model shown second ("Model B"). */
  b: string;
  /** `A` or `B`: that slot's answer is better; `tie`; null when the judge gave no usable verdict. */
  winner: 'A' | 'B' | 'tie' | null;
  comments?: string;
  failure?: string;
  lenient?: true;
  /** The judge's raw reply text to this comparison's call (its last attempt). */
  reply?: string;
}

export interface JudgeItemResult {
  index: number;
  repeat: number;
  scores: ModelScore[];
  /** Pairwise judges: every comparison made for the item, both orders of each pair; `scores` are then win shares. */
  comparisons?: PairwiseComparison[];
  /** Batched judges: the raw reply text of the item's one call (its last attempt); single and pairwise judges keep theirs per score or comparison. */
  reply?: string;
  /** Calls that went to the network (cache hits are not counted). */
  calls: number;
  cachedCalls: number;
  tokenUsage: TokenUsage;
  /** Attempts including retries for invalid replies. */
  attempts: number;
}

export const Judge = Symbol.for('@judgekit/core/Judge');
export interface Judge {
  readonly mode: JudgeMode;
  /** Identifies the judge in results and cache keys: provider, model, parameters. */
  readonly description: { mode: JudgeMode; provider: string; model: string; [key: string]: unknown };
  scoreItem(input: JudgeItemInput): Promise<JudgeItemResult>;
}

/** A judge that can say which calls it would make, so a dry run can count and price them. */
export interface PlannableJudge extends Judge {
  plannedRequests(input: JudgeItemInput): ChatRequest[];
}

export function isPlannable(judge: Judge): judge is PlannableJudge {
  return typeof (judge as Partial<PlannableJudge>).plannedRequests === 'function';
}

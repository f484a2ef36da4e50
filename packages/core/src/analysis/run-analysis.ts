// Every statistic of a run in one pure call: what `judgekit report` renders. Reading the run directory is the
// caller's job, so this stays fast to test with arrays built by hand.
import type { JudgmentRecord, RunItems, RunLosses, RunResults } from '../run/run-directory.js';
import type { BootstrapOptions } from './bootstrap.js';
import type { LossRecord } from '../protocol/loss/loss-protocol.js';
import { categoryBreakdown, DEFAULT_CATEGORIES, type CategoryBreakdown } from './category-tagger.js';
import { findPrice, type PriceTable } from '../protocol/judging/price-table.js';
import { compareJudges, judgeUsage, type JudgeComparison, type JudgeUsage } from './judge-comparison.js';
import { alphaAcrossJudges, alphaAcrossRepeats, rankStability, testRetest, type RankStability, type TestRetest } from './judge-reliability.js';
import { collectJudgeScores, type FailureAggregate, type JudgeScores } from './judge-scores.js';
import { lengthBias, type LengthBias, type LengthUnit } from './length-bias.js';
import { lossScoreCorrelation, type LossCorrelation } from './loss-correlation.js';
import { modelScoreSummaries, pairedDifferences, type ModelScoreSummary, type PairedDifference } from './model-scores.js';
import { positionBias, type PositionBias } from './position-bias.js';
import { adoptStoredIntervals } from './stored-score-intervals.js';
import { judgeStabilityAnalysis, type JudgeStabilityAnalysis } from './stability-analysis.js';
import { analyzePairwiseJudge, pairwiseVerdicts, type PairwiseJudgeAnalysis } from './pairwise-rankings.js';
import { humanAgreement, type HumanAgreement } from './human-agreement.js';
import type { RatingRecord } from '../run/ratings.js';

export interface RunData {
  items: RunItems;
  judgments: readonly JudgmentRecord[];
  results?: RunResults;
  losses?: RunLosses;
  /** Blind human ratings (`ratings.jsonl`, latest line per rater and item); judge-human agreement when present. */
  ratings?: readonly RatingRecord[];
}

export interface AnalysisOptions {
  bootstrap?: BootstrapOptions;
  lengthUnit?: LengthUnit;
  /** One category per item of `items.items` (from a `CategoryTagger`); no breakdown when absent. */
  categories?: readonly string[];
  categoryOrder?: readonly string[];
  /** Prices for the cost column, keyed by judge name, `provider:model` or model id (the judge command's price table). */
  pricing?: PriceTable;
}

export interface JudgeAnalysis {
  judge: string;
  mode: string;
  provider: string;
  model: string;
  aggregate: FailureAggregate;
  repeats: number;
  summaries: ModelScoreSummary[];
  differences: PairedDifference[];
  testRetest: TestRetest;
  alphaAcrossRepeats: number;
  rankStability: RankStability;
  usage: JudgeUsage;
  positionBias: PositionBias | null;
  lengthBias: LengthBias;
  lossCorrelation?: LossCorrelation;
  categories?: CategoryBreakdown;
  /** Flip rate between repeats, expected scores of logprob judges, why `repeats auto` stopped. */
  stability?: JudgeStabilityAnalysis;
  /** Pairwise judges: Bradley-Terry scores, win rates, position consistency, length control, agreement with the other judges. */
  pairwise?: PairwiseJudgeAnalysis;
}

export interface RunAnalysis {
  models: string[];
  items: number;
  /** Per model (same order), NaN where unknown. */
  losses: number[];
  /** Per model (same order): the loss with both aggregates and its protocol, as the loss stage recorded it. */
  lossRecords: Array<LossRecord | undefined>;
  judges: JudgeAnalysis[];
  /** Alpha with judges as coders over item x model cells. NaN with one judge. */
  alphaAcrossJudges: number;
  /** Every pair of judges; pairs of a single and a batched judge come first. */
  comparisons: JudgeComparison[];
  warnings: string[];
  /** Judge-human and inter-rater agreement, when the run has ratings. */
  humanAgreement?: HumanAgreement;
}

export function analyzeRun(run: RunData, options: AnalysisOptions = {}): RunAnalysis {
  const models = run.items.models.map((m) => m.name);
  const itemIndices = run.items.items.map((it) => it.index);
  const aggregates = new Map(run.results?.judges.map((j) => [j.name, j.aggregate]) ?? []);
  let judges = collectJudgeScores(run.judgments, models, itemIndices, (judge) => ({ aggregate: aggregates.get(judge) ?? 'drop-failed' }));
  const order = run.results?.judges.map((j) => j.name) ?? [];
  judges = judges.slice().sort((a, b) => rank(order, a.judge) - rank(order, b.judge));
  // Agreement and bias statistics look at the scores a judge actually gave: a failure counted as 0 (the study's
  // batched rule) is an aggregation choice, not a judgment, so those use the failures-dropped view.
  const dropped = new Map(collectJudgeScores(run.judgments, models, itemIndices, { aggregate: 'drop-failed' }).map((j) => [j.judge, j]));
  const warnings: string[] = [];
  const lossByModel = new Map<string, number>();
  const lossRecordByModel = new Map<string, LossRecord>();
  for (const m of run.results?.models ?? []) {
    if (typeof m.loss === 'number') lossByModel.set(m.name, m.loss);
    if (m.lossDetails) lossRecordByModel.set(m.name, m.lossDetails);
  }
  for (const { name, ...record } of run.losses?.models ?? []) {
    lossByModel.set(name, record.loss);
    lossRecordByModel.set(name, record);
  }
  const losses = models.map((m) => lossByModel.get(m) ?? Number.NaN);
  const lossRecords = models.map((m) => lossRecordByModel.get(m));
  const responses = run.items.models.map((m) => m.responses);
  const bootstrap = options.bootstrap ?? {};
  if (run.judgments.length === 0) warnings.push('judgments.jsonl has no records: run `judgekit judge` first.');
  const analyses = judges.map((judge): JudgeAnalysis => {
    const given = dropped.get(judge.judge) ?? judge;
    const summaries = modelScoreSummaries(judge, bootstrap);
    // The score CIs the judge stage stored are the ones results.md printed: show those, not a second bootstrap.
    warnings.push(...adoptStoredIntervals(summaries, run.results, judge.judge));
    const pricing = options.pricing ? (options.pricing[judge.judge] ?? findPrice(options.pricing, judge.provider, judge.model)) : undefined;
    const analysis: JudgeAnalysis = {
      judge: judge.judge,
      mode: judge.mode,
      provider: judge.provider,
      model: judge.model,
      aggregate: aggregates.get(judge.judge) ?? 'drop-failed',
      repeats: judge.repeats.length,
      summaries,
      differences: pairedDifferences(judge, bootstrap),
      testRetest: testRetest(given),
      alphaAcrossRepeats: alphaAcrossRepeats(given),
      rankStability: rankStability(judge),
      usage: judgeUsage(judge, pricing),
      positionBias: positionBias(given, bootstrap),
      lengthBias: lengthBias(given, responses, options.lengthUnit ?? 'words', bootstrap),
    };
    if (losses.some((l) => !Number.isNaN(l))) {
      analysis.lossCorrelation = lossScoreCorrelation(
        judge.judge,
        losses,
        summaries.map((s) => s.mean),
        bootstrap,
      );
    }
    analysis.stability = judgeStabilityAnalysis(run.judgments, given, run.results, bootstrap);
    if (options.categories) analysis.categories = categoryBreakdown(judge, options.categories, options.categoryOrder ?? DEFAULT_CATEGORIES, bootstrap);
    const verdicts = pairwiseVerdicts(run.judgments, judge.judge, models, itemIndices, responses);
    if (verdicts) analysis.pairwise = analyzePairwiseJudge(verdicts, judges.map((j) => dropped.get(j.judge) ?? j), bootstrap);
    const failed = judge.failed.reduce((s, v) => s + v, 0);
    if (failed > 0) warnings.push(`${judge.judge}: ${failed} score(s) missing because the judge's reply could not be used.`);
    return analysis;
  });
  const comparisons: JudgeComparison[] = [];
  const pairs: Array<[JudgeScores, JudgeScores]> = [];
  for (let a = 0; a < judges.length; a++) for (let b = a + 1; b < judges.length; b++) pairs.push([judges[a] as JudgeScores, judges[b] as JudgeScores]);
  const isModePair = ([a, b]: [JudgeScores, JudgeScores]): boolean => new Set([a.mode, b.mode]).size === 2 && [a.mode, b.mode].includes('single') && [a.mode, b.mode].includes('batched');
  pairs.sort((p, q) => Number(isModePair(q)) - Number(isModePair(p)));
  for (const [a, b] of pairs) {
    // Report single first, batched second, so "shift" reads as batched minus single.
    const [first, second] = a.mode === 'batched' && b.mode === 'single' ? [b, a] : [a, b];
    comparisons.push(compareJudges(first, second, bootstrap));
  }
  return {
    models,
    items: itemIndices.length,
    losses,
    lossRecords,
    judges: analyses,
    alphaAcrossJudges: alphaAcrossJudges(judges.map((j) => dropped.get(j.judge) ?? j)),
    comparisons,
    warnings,
    ...(run.ratings && run.ratings.length > 0
      ? { humanAgreement: humanAgreement({ models, items: itemIndices, ratings: run.ratings, judges: judges.map((j) => dropped.get(j.judge) ?? j) }, bootstrap) }
      : {}),
  };
}

function rank(order: readonly string[], name: string): number {
  const i = order.indexOf(name);
  return i === -1 ? order.length : i;
}

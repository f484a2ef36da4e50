// The pairwise part of a judge run's results: when the judge's logged judgments carry comparisons, its
// Bradley-Terry analysis for results.json (`pairwise[judge]`) and the Markdown for results.md.
import type { ModelAnswers } from '../../contracts/records.js';
import type { JudgmentRecord } from '../../run/run-directory.js';
import { analyzePairwise } from '../../analysis/bradley-terry.js';
import { pairwiseVerdicts } from '../../analysis/pairwise-rankings.js';
import { formatPairwiseMarkdown, pairwiseResults, type PairwiseResults } from '../../analysis/pairwise-results.js';

/** Undefined when the judge made no pairwise comparisons. `seed`: the run's bootstrap seed. */
export function summarizePairwise(records: readonly JudgmentRecord[], judgeName: string, answers: readonly ModelAnswers[], itemIndices: readonly number[], seed: number | string): { results: PairwiseResults; markdown: string } | undefined {
  const models = answers.map((model) => model.name);
  const responses = answers.map((model) => model.records.map((record) => record.model_response));
  const verdicts = pairwiseVerdicts(records, judgeName, models, itemIndices, responses);
  if (!verdicts) return undefined;
  const analysis = analyzePairwise(judgeName, models, verdicts.itemCount, verdicts.observations, { seed, failed: verdicts.failed });
  const results = pairwiseResults(analysis);
  return { results, markdown: formatPairwiseMarkdown(judgeName, results) };
}

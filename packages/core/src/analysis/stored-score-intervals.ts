// Each model's score CI is computed once, by the judge stage, and stored in results.json. The report takes that
// interval instead of bootstrapping its own (which used another seed and printed another CI for the same model),
// as long as results.json still describes the judgments the report reads.
import type { RunResults } from '../run/run-directory.js';
import type { ModelScoreSummary } from './model-scores.js';

/** A stored score and the one recomputed from judgments.jsonl agree to rounding error. */
function sameScore(stored: number, computed: number): boolean {
  if (Number.isNaN(stored) || Number.isNaN(computed)) return Number.isNaN(stored) && Number.isNaN(computed);
  return Math.abs(stored - computed) <= 1e-9 * Math.max(1, Math.abs(stored));
}

/**
 * Replace each summary's `ci95` by the one `results` holds for `judge` (setting `ciSource: 'results.json'`).
 * Returns a warning per model whose stored score no longer matches the judgments (that summary keeps the
 * recomputed CI): the results stage has to be rerun.
 */
export function adoptStoredIntervals(summaries: ModelScoreSummary[], results: RunResults | undefined, judge: string): string[] {
  if (!results) return [];
  const primary = results.judges[0]?.name;
  const warnings: string[] = [];
  for (const summary of summaries) {
    const row = results.models.find((model) => model.name === summary.model);
    const stored = row?.judges?.[judge] ?? (row && judge === primary ? row : undefined);
    if (!stored || !Array.isArray(stored.ci95)) continue;
    if (!sameScore(stored.score, summary.mean)) {
      warnings.push(
        `results.json: model "${summary.model}", judge "${judge}": score ${stored.score} differs from ${summary.mean} in judgments.jsonl; the CI shown is recomputed. Rerun \`judgekit run\` (or \`judgekit judge\`) to rewrite results.json.`,
      );
      continue;
    }
    summary.ci95 = [stored.ci95[0], stored.ci95[1]];
    summary.ciSource = 'results.json';
  }
  return warnings;
}

// From judgments to what a run reports: per-model summaries under an aggregation rule, the annotated answer
// records, and the results table as Markdown and CSV. All pure.
import { bootstrapMeanCI } from '../../analysis/bootstrap.js';
import { formatCi95 } from '../../analysis/format-ci.js';
import type { JudgeMode, ModelScore } from '../../contracts/judge.js';
import type { AnswerRecord, ModelAnswers } from '../../contracts/records.js';
import type { JudgeSummary, JudgmentRecord } from '../../run/run-directory.js';
import { aggregateScores, aggregateValues, itemScore, type AggregateRule } from './score-aggregate.js';

/** `grid[model][index][repeat]`: the score of one judgment, or null when it failed or is missing. */
export type ScoreGrid = Array<Array<Array<ModelScore | undefined>>>;

export function scoreGrid(records: Iterable<JudgmentRecord>, modelNames: readonly string[], items: number, repeats: number): ScoreGrid {
  const grid: ScoreGrid = modelNames.map(() => Array.from({ length: items }, () => new Array<ModelScore | undefined>(repeats).fill(undefined)));
  const modelIndex = new Map(modelNames.map((name, index) => [name, index]));
  for (const record of records) {
    if (record.index < 0 || record.index >= items || record.repeat < 0 || record.repeat >= repeats) continue;
    for (const score of record.scores) {
      const model = modelIndex.get(score.model);
      if (model === undefined) continue;
      (grid[model] as ModelScore[][])[record.index]![record.repeat] = score;
    }
  }
  return grid;
}

/** Per item: the repeats' scores (null for failed or missing). */
export function repeatScores(cells: ReadonlyArray<ModelScore | undefined>): Array<number | null> {
  return cells.map((cell) => (cell && typeof cell.score === 'number' ? cell.score : null));
}

export function summarizeModel(items: ReadonlyArray<ReadonlyArray<ModelScore | undefined>>, rule: AggregateRule, seed: number | string): JudgeSummary {
  const perItem = items.map((cells) => itemScore(repeatScores(cells), rule));
  const scored = items.filter((cells) => repeatScores(cells).some((score) => score !== null)).length;
  const score = aggregateScores(perItem, rule);
  return {
    score: score ?? Number.NaN,
    ci95: bootstrapMeanCI(aggregateValues(perItem, rule), { seed }),
    scored,
    failed: items.length - scored,
  };
}

export interface AnnotatedRecord extends AnswerRecord {
  /** Mean of the repeats that produced a score; null when none did. */
  llm_score: number | null;
  llm_comments: string;
  /** Every repeat's score, when there is more than one repeat. */
  llm_scores?: Array<number | null>;
  judge: {
    mode: JudgeMode;
    provider: string;
    model: string;
    /** The slot the model was shown in (batched judges; first repeat). */
    position: number | null;
    /** Why there is no score (first failed repeat); null when scored. */
    failure: string | null;
    repeats?: Array<{ score: number | null; position: number | null; failure: string | null; comments: string | null }>;
  };
}

export function annotateRecords(
  answers: ModelAnswers,
  cellsByItem: ReadonlyArray<ReadonlyArray<ModelScore | undefined>>,
  judge: { mode: JudgeMode; provider: string; model: string },
): AnnotatedRecord[] {
  return answers.records.map((record, index) => {
    const cells = cellsByItem[index] ?? [];
    const scores = repeatScores(cells);
    const parsed = scores.filter((score): score is number => score !== null);
    const first = cells[0];
    const failure = cells.find((cell) => !cell || cell.score === null);
    const annotated: AnnotatedRecord = {
      instruction: record.instruction,
      input: record.input,
      output: record.output,
      model_response: record.model_response,
      llm_score: parsed.length > 0 ? parsed.reduce((a, b) => a + b, 0) / parsed.length : null,
      llm_comments: cells.find((cell) => cell?.comments)?.comments ?? '',
      judge: {
        mode: judge.mode,
        provider: judge.provider,
        model: judge.model,
        position: first?.position ?? null,
        failure: parsed.length === scores.length ? null : (failure?.failure ?? 'not judged'),
      },
    };
    if (cells.length > 1) {
      annotated.llm_scores = scores;
      annotated.judge.repeats = cells.map((cell) => ({
        score: cell && typeof cell.score === 'number' ? cell.score : null,
        position: cell?.position ?? null,
        failure: cell ? (cell.failure ?? null) : 'not judged',
        comments: cell?.comments ?? null,
      }));
    }
    return annotated;
  });
}

export interface ResultsRow extends JudgeSummary {
  name: string;
}

function fixed(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

/** The study's table, plus the interval and the counts behind each score. */
export function formatResultsMarkdown(rows: readonly ResultsRow[], heading: string): string {
  const lines = [heading, '', '| model | score | 95% CI | scored | failed |', '| --- | ---: | --- | ---: | ---: |'];
  for (const row of rows) {
    lines.push(`| ${row.name.replace(/\|/g, '\\|')} | ${fixed(row.score)} | ${formatCi95(row.ci95)} | ${row.scored} | ${row.failed} |`);
  }
  return `${lines.join('\n')}\n`;
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function formatResultsCsv(rows: readonly ResultsRow[]): string {
  const lines = ['model,score,ci95_low,ci95_high,scored,failed'];
  for (const row of rows) {
    const number = (value: number): string => (Number.isFinite(value) ? String(value) : '');
    lines.push([csvField(row.name), number(row.score), number(row.ci95[0]), number(row.ci95[1]), String(row.scored), String(row.failed)].join(','));
  }
  return `${lines.join('\n')}\n`;
}

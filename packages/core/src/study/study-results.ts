// The study's table: every judge's summary and the losses in the run directory's own results, as JSON, Markdown
// and CSV. The judgments themselves are already in the run's judgments.jsonl: each judge appended its own.
import { readFile } from 'node:fs/promises';
import type { JudgeSummary, RunLosses, RunResults } from '../run/run-directory.js';
import { RunStore } from '../run/run-store.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic-write.js';
import { pathExists } from '../util/path-exists.js';
import { formatLoss } from '../protocol/loss/loss-protocol.js';
import { formatCi95 } from '../analysis/format-ci.js';
import { formatStudyStabilityMarkdown } from '../protocol/judging/judge-stability.js';
import { formatPairwiseMarkdown } from '../analysis/pairwise-results.js';

async function readLosses(store: RunStore): Promise<RunLosses> {
  const file = store.file('loss');
  return (await pathExists(file)) ? (JSON.parse(await readFile(file, 'utf8')) as RunLosses) : { models: [] };
}

/** Each judge's own results (the judge runner wrote them into judges/<name>/). */
async function readJudgeResults(store: RunStore, judgeNames: readonly string[]): Promise<Array<{ name: string; results: RunResults }>> {
  const perJudge: Array<{ name: string; results: RunResults }> = [];
  for (const name of judgeNames) {
    const file = new RunStore(store.judgeDir(name)).file('results');
    perJudge.push({ name, results: JSON.parse(await readFile(file, 'utf8')) as RunResults });
  }
  return perJudge;
}

function modelRow(name: string, perJudge: ReadonlyArray<{ name: string; results: RunResults }>, losses: RunLosses): RunResults['models'][number] {
  const judges: Record<string, JudgeSummary> = {};
  for (const { name: judgeName, results } of perJudge) {
    const row = results.models.find((model) => model.name === name);
    if (row) judges[judgeName] = { score: row.score, ci95: row.ci95, scored: row.scored, failed: row.failed };
  }
  const primary = Object.values(judges)[0] ?? { score: Number.NaN, ci95: [Number.NaN, Number.NaN] as [number, number], scored: 0, failed: 0 };
  const measured = losses.models.find((model) => model.name === name);
  if (!measured) return { name, ...primary, judges };
  const { name: _name, ...record } = measured;
  return { name, loss: measured.loss, lossDetails: { ...record, text: formatLoss(record) }, ...primary, judges };
}

export async function mergeStudyResults(store: RunStore, modelNames: readonly string[], judgeNamesInOrder: readonly string[]): Promise<RunResults> {
  const losses = await readLosses(store);
  const perJudge = await readJudgeResults(store, judgeNamesInOrder);
  const results: RunResults = {
    models: modelNames.map((name) => modelRow(name, perJudge, losses)),
    judges: perJudge.flatMap(({ results: judged }) => judged.judges),
    items: perJudge[0]?.results.items ?? 0,
  };
  // Pairwise judges' Bradley-Terry results, each under its judge's name.
  const pairwise = Object.assign({}, ...perJudge.map(({ results: judged }) => judged.pairwise ?? {})) as NonNullable<RunResults['pairwise']>;
  if (Object.keys(pairwise).length > 0) results.pairwise = pairwise;
  await writeJsonAtomic(store.file('results'), results);
  // Each pairwise judge's Bradley-Terry table, as its own results.md has it, in the judges' order.
  const pairwiseTables = results.judges
    .flatMap((judge) => {
      const table = pairwise[judge.name];
      return table ? [formatPairwiseMarkdown(judge.name, table)] : [];
    })
    .join('');
  await writeFileAtomic(store.file('resultsMarkdown'), formatStudyTable(results) + formatStudyStabilityMarkdown(results) + pairwiseTables);
  await writeFileAtomic(store.file('resultsCsv'), formatStudyCsv(results));
  return results;
}

function fixed(value: number | undefined, digits: number): string {
  return value !== undefined && Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

/** The study's table: model, test loss, one score column per judge (with its 95% CI). */
export function formatStudyTable(results: RunResults): string {
  const judges = results.judges.map((judge) => judge.name);
  const header = ['model', 'test loss', ...judges.map((name) => `${name} score`), ...judges.map((name) => `${name} 95% CI`)];
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`];
  for (const model of results.models) {
    const cells = [model.name.replace(/\|/g, '\\|'), model.lossDetails?.text ?? fixed(model.loss, 3)];
    for (const judge of judges) cells.push(fixed(model.judges?.[judge]?.score, 2));
    for (const judge of judges) {
      const ci = model.judges?.[judge]?.ci95;
      cells.push(ci ? formatCi95(ci) : 'n/a');
    }
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}

function formatStudyCsv(results: RunResults): string {
  const judges = results.judges.map((judge) => judge.name);
  const header = ['model', 'test_loss', ...judges.flatMap((name) => [`${name}_score`, `${name}_ci95_low`, `${name}_ci95_high`, `${name}_scored`, `${name}_failed`])];
  const number = (value: number | undefined): string => (value !== undefined && Number.isFinite(value) ? String(value) : '');
  const field = (value: string): string => (/[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
  const lines = [header.join(',')];
  for (const model of results.models) {
    const cells = [field(model.name), number(model.loss)];
    for (const judge of judges) {
      const summary = model.judges?.[judge];
      cells.push(number(summary?.score), number(summary?.ci95[0]), number(summary?.ci95[1]), summary ? String(summary.scored) : '', summary ? String(summary.failed) : '');
    }
    lines.push(cells.join(','));
  }
  return `${lines.join('\n')}\n`;
}

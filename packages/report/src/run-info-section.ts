// Two report sections from the run directory's own records: the fine-tuning curves (finetune/<model>/epochs.jsonl)
// and the run's config and versions (run.json, beside the versions of the tools that made the report).
import { packageVersion, scrubSecretsDeep } from '@judgekit/core';
import { escapeHtml as e } from './escape-html.js';
import { fmt, fmtInt } from './format-number.js';
import type { LoadedRun } from './load-run-directory.js';
import { colorFor, lineChart } from './svg-charts.js';

export function finetuneCurvesSection(run: Pick<LoadedRun, 'finetune'>): string {
  const curves = run.finetune ?? [];
  if (curves.length === 0) return '';
  const series = curves.flatMap((c, k) => [
    { name: `${c.model} train`, color: colorFor(k), points: c.epochs.map((p) => [p.epoch, p.trainLoss] as const) },
    { name: `${c.model} validation`, color: colorFor(k), dashed: true, points: c.epochs.map((p) => [p.epoch, p.validationLoss] as const) },
  ]);
  const chart = lineChart({ series, xLabel: 'epoch', yLabel: 'loss', title: 'Fine-tuning loss per epoch' });
  const keys = curves.map((c, k) => `<span class="key"><span class="swatch" style="background:${colorFor(k)}"></span>${e(c.model)}</span>`).join(' ');
  const rows = curves.map((c) => {
    const kept = c.epochs.filter((p) => !p.stopped);
    const best = kept.reduce<(typeof kept)[number] | undefined>((b, p) => (b === undefined || p.validationLoss < b.validationLoss ? p : b), undefined);
    const stopped = c.epochs.find((p) => p.stopped);
    return `<tr><td>${e(c.model)}</td><td>${fmtInt(c.epochs.length)}</td><td>${fmt(c.epochs.at(-1)?.trainLoss, 3)}</td><td>${best ? `${fmt(best.validationLoss, 3)} (epoch ${best.epoch})` : '—'}</td><td>${stopped ? `stopped after epoch ${stopped.epoch}: validation loss rose` : ''}${c.problems.length > 0 ? ` <span class="warn">${c.problems.length} line(s) of ${e(c.file)} skipped</span>` : ''}</td></tr>`;
  });
  return `<section id="finetune"><h2>Fine-tuning curves</h2><p>Training loss (solid) and validation loss (dashed) per epoch, from each model's finetune/&lt;model&gt;/epochs.jsonl.</p><div class="legend">${keys}</div><div class="charts">${chart}</div>
<table><thead><tr><th>Model</th><th>Epochs</th><th>Last train loss</th><th>Best validation loss</th><th>Note</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

/** Versions of what made this report (the run's own are in run.json). */
export function reportToolVersions(): Record<string, string> {
  const from = import.meta.url;
  const versions: Record<string, string | undefined> = {
    '@judgekit/core': packageVersion('@judgekit/core', from),
    '@judgekit/report': packageVersion('@judgekit/report', from),
    'onnxruntime-node': packageVersion('onnxruntime-node', from),
    'onnxruntime-web': packageVersion('onnxruntime-web', from),
    node: process.version,
  };
  return Object.fromEntries(Object.entries(versions).map(([name, version]) => [name, version ?? 'not installed']));
}

function stringEntries(value: unknown): Array<[string, string]> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return [];
  return Object.entries(value as Record<string, unknown>).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
}

export function runInfoSection(run: Pick<LoadedRun, 'runRecord'>, tools: Record<string, string> = reportToolVersions()): string {
  const record = run.runRecord ? scrubSecretsDeep(run.runRecord) : undefined;
  const recorded = stringEntries((record as { packages?: unknown } | undefined)?.packages);
  const versionRows = [...recorded.map(([name, version]) => [name, version, 'run.json']), ...Object.entries(tools).map(([name, version]) => [name, version, 'this report'])];
  const facts: Array<[string, string]> = [];
  for (const field of ['tool', 'command', 'startedAt', 'finishedAt', 'configFile', 'template'] as const) {
    const value = record?.[field];
    if (typeof value === 'string') facts.push([field, value]);
  }
  const judge = (record as { judge?: unknown } | undefined)?.judge;
  if (judge && typeof judge === 'object') facts.push(['judge', JSON.stringify(judge)]);
  const seeds = (record as { seeds?: unknown } | undefined)?.seeds;
  if (seeds && typeof seeds === 'object') facts.push(['seeds', JSON.stringify(seeds)]);
  const table = (rows: ReadonlyArray<readonly string[]>, headers: readonly string[]): string =>
    `<table><thead><tr>${headers.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${e(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
  const body = record
    ? `${table(facts, ['Field', 'Value'])}<details><summary>run.json in full (secrets removed)</summary><pre class="run-json">${e(JSON.stringify(record, null, 2))}</pre></details>`
    : '<p class="muted">This run directory has no run.json (it is written by <code>judgekit judge</code> and <code>judgekit run</code>), so its config is unknown.</p>';
  return `<section id="run-info"><h2>Run config and versions</h2>${body}<h3>Versions</h3>${table(versionRows, ['Package', 'Version', 'From'])}</section>`;
}

// Calibration in the report: each judge's accuracy on answers of known quality (calibration.json from `judgekit
// calibrate`) beside its scores, and the accuracy-weighted panel of the run's calibrated judges. Also the standalone
// calibration.md that `judgekit calibrate` writes.
import { readFile } from 'node:fs/promises';
import {
  collectJudgeScores,
  formatCi95,
  JudgekitError,
  panelScores,
  type BootstrapOptions,
  type CalibrationFile,
  type JudgeCalibration,
  type PanelScores,
  type RunAnalysis,
  type RunData,
} from '@judgekit/core';
import { escapeHtml } from '../escape-html.js';
import { fmt, fmtCI, fmtPct, fmtSigned } from '../format-number.js';

const e = escapeHtml;

/** Read and check calibration.json; errors name the file and the field. Undefined when absent and `optional`. */
export async function loadCalibrationFile(path: string, optional = false): Promise<CalibrationFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (optional && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new JudgekitError('input', `Cannot read calibration file ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): write it with \`judgekit calibrate --out <dir>\`.`, { file: path, cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new JudgekitError('input', `${path} is not valid JSON (${(error as Error).message}); rerun \`judgekit calibrate\`.`, { file: path, cause: error });
  }
  const file = value as Partial<CalibrationFile>;
  if (typeof value !== 'object' || value === null || file.kind !== 'calibration') throw new JudgekitError('input', `${path}: field \`kind\` should be "calibration"; this is not a file written by \`judgekit calibrate\`.`, { file: path, location: 'kind' });
  if (!Array.isArray(file.judges)) throw new JudgekitError('input', `${path}: field \`judges\` should be an array of judge calibrations.`, { file: path, location: 'judges' });
  file.judges.forEach((judge, j) => {
    for (const field of ['judge', 'mode', 'provider', 'model'] as const) {
      if (typeof judge?.[field] !== 'string') throw new JudgekitError('input', `${path}: judges[${j}].${field} should be a string.`, { file: path, location: `judges[${j}].${field}` });
    }
    if (typeof judge.accuracy?.value !== 'number' && judge.accuracy?.value !== null) throw new JudgekitError('input', `${path}: judges[${j}].accuracy.value should be a number.`, { file: path, location: `judges[${j}].accuracy.value` });
  });
  return file as CalibrationFile;
}

/** JSON writes NaN as null: read it back as NaN. */
const num = (value: number | null | undefined): number => (typeof value === 'number' ? value : Number.NaN);
const ci = (value: readonly (number | null)[] | undefined): [number, number] => [num(value?.[0]), num(value?.[1])];

/** The calibration of a run's judge: the one with its name, else the one with its mode and provider:model. */
export function calibrationFor(file: CalibrationFile, judge: { judge: string; mode: string; provider: string; model: string }): JudgeCalibration | undefined {
  return file.judges.find((c) => c.judge === judge.judge) ?? file.judges.find((c) => c.mode === judge.mode && c.provider === judge.provider && c.model === judge.model);
}

function costText(c: JudgeCalibration): string {
  if (!c.cost) return '—';
  if (c.cost.perItemUsd === null) return `${fmt(c.cost.tokensPerItem, 0)} tokens`;
  return `$${c.cost.perItemUsd < 0.01 ? c.cost.perItemUsd.toFixed(5) : c.cost.perItemUsd.toFixed(3)}`;
}

function calibrationCells(c: JudgeCalibration): string[] {
  return [
    `${fmtPct(num(c.accuracy.value), 1)} ${fmtCI(ci(c.accuracy.ci95).map((v) => v * 100) as [number, number])}${c.accuracy.basis === 'comparisons' ? ' (verdicts)' : ''}`,
    `${fmt(num(c.kendallTau.mean), 3)} ${fmtCI(ci(c.kendallTau.ci95), 3)}`,
    c.slotBias ? `${fmt(num(c.slotBias.effectRange), 1)} pts` : '—',
    c.flip ? `${fmtPct(num(c.flip.flipRate), 1)} ${fmtCI(ci(c.flip.flipRateCi95).map((v) => v * 100) as [number, number])}` : '—',
    costText(c),
  ];
}

const CALIBRATION_HEADERS = ['accuracy [95% CI]', 'Kendall τ [95% CI]', 'slot bias (range)', 'flip rate [95% CI]', 'cost / item'];

function markdownTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
  return [`| ${headers.map(cell).join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

/** calibration.md: what `judgekit calibrate` prints and writes. */
export function formatCalibrationMarkdown(file: CalibrationFile): string {
  const out = [`# Judge calibration on answers of known quality`, '', `${file.items} items from ${file.dataset} (seed ${file.seed}). Known order: ${file.knownOrder}`, ''];
  const rows = file.judges.map((c) => [c.judge, c.mode, `${c.provider}:${c.model}`, String(c.repeats), ...calibrationCells(c), fmt(c.weight, 3)]);
  if (file.panel) rows.push(['panel (in-sample)', 'panel', file.panel.members.map((m) => `${m.judge} ×${fmt(m.weight, 2)}`).join(', '), '—', ...calibrationCells(file.panel.calibration), '—']);
  out.push(markdownTable(['judge', 'mode', 'model', 'repeats', ...CALIBRATION_HEADERS, 'panel weight'], rows), '');
  out.push(
    'Accuracy: share of known-ordered answer pairs (same item) the judge scores the right way round, ties counted ½; 50% is chance. ' +
      "Kendall τ: tau-b between the known tiers and the judge's scores per item, mean over items. CIs: percentile bootstrap over items. " +
      `Panel weights ∝ ${file.weighting}.${file.panel ? ' The panel row is in-sample (its weights come from these items), so it is optimistic.' : ''}`,
    '',
  );
  out.push('## Mean score per level', '');
  out.push(markdownTable(['judge', ...file.levels], file.judges.map((c) => [c.judge, ...file.levels.map((level) => fmt(num(c.levels.find((l) => l.level === level)?.mean), 1))])), '');
  const positional = file.judges.filter((c) => c.slotBias);
  if (positional.length > 0) {
    out.push('## Slot bias (effect vs the average slot, points, 95% CI)', '');
    for (const c of positional) out.push(`- **${c.judge}**: ${c.slotBias!.slots.map((s) => `#${s.slot} ${fmtSigned(num(s.effect), 1)} ${fmtCI(ci(s.ci95))}`).join(', ')}`);
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

export interface RunCalibration {
  file: CalibrationFile;
  /** Per run judge (analysis order): its calibration, if the file has one. */
  matched: Array<{ judge: string; mode: string; calibration?: JudgeCalibration }>;
  /** The accuracy-weighted panel of the run's calibrated judges (two or more, one beating chance). */
  panel: PanelScores | null;
}

/** Match the run's judges to the calibration file and score the panel on the run's own items. */
export function runCalibration(run: RunData, analysis: RunAnalysis, file: CalibrationFile, bootstrap: BootstrapOptions = {}): RunCalibration {
  const matched = analysis.judges.map((j) => ({ judge: j.judge, mode: j.mode, ...(calibrationFor(file, j) ? { calibration: calibrationFor(file, j) as JudgeCalibration } : {}) }));
  const calibrated = matched.filter((m) => m.calibration);
  let panel: PanelScores | null = null;
  if (calibrated.length >= 2) {
    const names = new Set(calibrated.map((m) => m.judge));
    const scores = collectJudgeScores(
      run.judgments.filter((record) => names.has(record.judge)),
      analysis.models,
      run.items.items.map((item) => item.index),
    );
    const accuracies = scores.map((s) => num(calibrated.find((m) => m.judge === s.judge)?.calibration?.accuracy.value));
    panel = panelScores(scores, accuracies, bootstrap);
  }
  return { file, matched, panel };
}

const PANEL_NOTE = (file: CalibrationFile) => `Panel: each item's score is the weighted mean of the calibrated judges' item means (weights ∝ ${file.weighting}); per model the mean over items with a 95% bootstrap CI over items.`;

/** The report.md section. */
export function calibrationMarkdownSection(analysis: RunAnalysis, calibration: RunCalibration | undefined): string {
  if (!calibration) return '';
  const { file, matched, panel } = calibration;
  const out = ['## Judge calibration (answers of known quality)', '', `From calibrate on ${file.items} items of ${file.dataset}. Known order: ${file.knownOrder}`, ''];
  out.push(markdownTable(['judge', 'mode', ...CALIBRATION_HEADERS], matched.map((m) => [m.judge, m.mode, ...(m.calibration ? calibrationCells(m.calibration) : CALIBRATION_HEADERS.map(() => 'not calibrated'))])), '');
  if (panel) {
    out.push(
      markdownTable(
        ['model', ...analysis.judges.map((j) => j.judge), 'panel'],
        analysis.models.map((model, m) => [model, ...analysis.judges.map((j) => `${fmt(j.summaries[m]?.mean, 2)} ${formatCi95(j.summaries[m]?.ci95, '—')}`), `${fmt(panel.models[m]?.score, 2)} ${formatCi95(panel.models[m]?.ci95, '—')}`]),
      ),
      '',
      `${PANEL_NOTE(file)} Weights: ${panel.members.map((p) => `${p.judge} ${fmt(p.weight, 2)}`).join(', ')}.`,
      '',
    );
  }
  return out.join('\n');
}

/** The report.html section. */
export function calibrationHtmlSection(analysis: RunAnalysis, calibration: RunCalibration | undefined): string {
  if (!calibration) return '';
  const { file, matched, panel } = calibration;
  const table = (headers: readonly string[], rows: ReadonlyArray<readonly string[]>) =>
    `<table class="calibration"><thead><tr>${headers.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${e(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
  const judges = table(['Judge', 'Mode', ...CALIBRATION_HEADERS], matched.map((m) => [m.judge, m.mode, ...(m.calibration ? calibrationCells(m.calibration) : CALIBRATION_HEADERS.map(() => 'not calibrated'))]));
  const levels = table(['Judge', ...file.levels], matched.filter((m) => m.calibration).map((m) => [m.judge, ...file.levels.map((level) => fmt(num(m.calibration!.levels.find((l) => l.level === level)?.mean), 1))]));
  const panelHtml = panel
    ? `<h3>Panel of calibrated judges</h3>${table(
        ['Model', ...analysis.judges.map((j) => j.judge), 'Panel'],
        analysis.models.map((model, m) => [model, ...analysis.judges.map((j) => `${fmt(j.summaries[m]?.mean, 2)} ${formatCi95(j.summaries[m]?.ci95, '—')}`), `${fmt(panel.models[m]?.score, 2)} ${formatCi95(panel.models[m]?.ci95, '—')}`]),
      )}<p>${e(PANEL_NOTE(file))} Weights: ${e(panel.members.map((p) => `${p.judge} ${fmt(p.weight, 2)}`).join(', '))}.</p>`
    : '';
  return `<section id="calibration"><h2>Judge calibration</h2><p>${e(`Each judge's accuracy on answers of known quality (judgekit calibrate, ${file.items} items of ${file.dataset}). Known order: ${file.knownOrder} Accuracy: share of known-ordered pairs scored the right way round, ties ½, 50% is chance; Kendall τ-b per item against the known tiers, mean over items; CIs bootstrap over items.`)}</p>${judges}<h3>Mean score per level</h3>${levels}${panelHtml}</section>`;
}

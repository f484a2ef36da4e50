// The self-contained report.html: inline CSS, inline SVG charts and one inline script for the item browser.
// Nothing is fetched at view time. Every model, judge and dataset string is escaped (or set with textContent
// by the script), so an answer that contains markup shows as text.
import type { JudgeAnalysis, RunAnalysis, TaggerAccuracy } from '@judgekit/core';
import { itemModelMeans, collectJudgeScores, formatCi95, formatLoss, formatLossProtocol } from '@judgekit/core';
import { escapeHtml, jsonForScript } from './escape-html.js';
import { fmt, fmtCI, fmtInt, fmtPct, fmtSigned } from './format-number.js';
import type { LoadedRun } from './load-run-directory.js';
import { barChart, colorFor, heatmap, scatterChart } from './svg-charts.js';
import { ITEM_BROWSER_CSS, ITEM_BROWSER_SCRIPT, itemBrowserData, itemBrowserSection } from './item-browser.js';
import { finetuneCurvesSection, runInfoSection } from './run-info-section.js';
import { comparisonHtmlSection, type ReportComparison } from './compare-section.js';
import { humanAgreementHtmlSection } from './sections/human-agreement-section.js';
import { calibrationHtmlSection, type RunCalibration } from './sections/calibration-section.js';
import { stabilityHtmlSection } from './sections/stability-section.js';
import { pairwiseHtmlSection } from './sections/pairwise-section.js';

export interface HtmlReportOptions {
  title?: string;
  /** One category per item (same order as items.json), shown in the item browser. */
  categories?: readonly string[];
  /** Shown in the header; pass a fixed value for reproducible output. */
  generatedAt?: string;
  /** The category tagger's accuracy on the hand-labelled set, shown with the category table; null: not measured. */
  taggerAccuracy?: TaggerAccuracy | null;
  /** Another run set beside this one (`--compare`). */
  comparison?: ReportComparison;
  /** Judges' calibration on answers of known quality (calibration.json), shown after the scores. */
  calibration?: RunCalibration;
}

const e = escapeHtml;

function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, className = ''): string {
  return `<table class="${className}"><thead><tr>${headers.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function judgeLabel(j: JudgeAnalysis): string {
  return `${e(j.judge)} <span class="muted">(${e(j.mode)}, ${e(j.provider)}:${e(j.model)}${j.repeats > 1 ? `, ${j.repeats} repeats` : ''})</span>`;
}

function scoresSection(analysis: RunAnalysis): string {
  const hasLoss = analysis.losses.some((l) => Number.isFinite(l));
  const order = analysis.models.map((_, m) => m);
  if (hasLoss) order.sort((a, b) => (analysis.losses[a] ?? Infinity) - (analysis.losses[b] ?? Infinity));
  else if (analysis.judges[0]) order.sort((a, b) => (analysis.judges[0]!.summaries[b]?.mean ?? 0) - (analysis.judges[0]!.summaries[a]?.mean ?? 0));
  const headers = ['Model', ...(hasLoss ? ['Test loss'] : []), ...analysis.judges.map((j) => `${e(j.judge)} <span class="muted">${e(j.mode)}</span>`)];
  const rows = order.map((m) => [
    e(analysis.models[m] ?? ''),
    ...(hasLoss ? [lossCell(analysis, m)] : []),
    ...analysis.judges.map((j) => {
      const s = j.summaries[m];
      return s ? `<b>${fmt(s.mean, 2)}</b> <span class="ci">${formatCi95(s.ci95, '—')}</span>${s.failed > 0 ? ` <span class="warn" title="scores missing">${s.failed} failed</span>` : ''}` : '—';
    }),
  ]);
  return `<section id="scores"><h2>Scores</h2><p>Each judge's score per model: the mean over items of the item's mean over repeats, with a 95% bootstrap CI over items (computed once by the judge stage and read from results.json, so results.md shows the same interval). Each test loss is given with its protocol and both aggregates.</p>${table(headers, rows, 'scores')}</section>`;
}

/** "2.037 <span>(mean of 12 batch means, 6 x 1024 windows; token mean 2.019, 73,728 tokens)</span>". */
function lossCell(analysis: RunAnalysis, m: number): string {
  const record = analysis.lossRecords?.[m];
  if (!record) return fmt(analysis.losses[m], 3);
  return `${fmt(record.loss, 3)} <span class="muted loss-protocol">(${e(formatLossProtocol(record))})</span>`;
}

function differencesSection(analysis: RunAnalysis): string {
  if (analysis.models.length < 2) return '<section id="gaps"><h2>Which gaps are real</h2><p class="muted">One model in this run: there is no gap between models to test.</p></section>';
  const blocks = analysis.judges.map((j, k) => {
    const models = analysis.models;
    const lookup = new Map(j.differences.map((d) => [`${d.a}\u0000${d.b}`, d]));
    const rows = models.map((a) => [
      `<b>${e(a)}</b>`,
      ...models.map((b) => {
        if (a === b) return '<span class="muted">·</span>';
        const d = lookup.get(`${a}\u0000${b}`);
        const r = lookup.get(`${b}\u0000${a}`);
        const value = d ? d.difference : r ? -r.difference : Number.NaN;
        const ci: [number, number] | undefined = d ? d.ci95 : r ? [-r.ci95[1], -r.ci95[0]] : undefined;
        const significant = (d ?? r)?.significant ?? false;
        const cls = significant ? (value > 0 ? 'pos' : 'neg') : 'ns';
        return `<span class="${cls}">${fmtSigned(value)}</span><br><span class="ci">${fmtCI(ci)}</span>`;
      }),
    ]);
    const body = `${table(['row minus column', ...models.map((m) => e(m))], rows, 'matrix')}`;
    return k === 0 ? `<h3>${judgeLabel(j)}</h3>${body}` : `<details><summary>${judgeLabel(j)}</summary>${body}</details>`;
  });
  return `<section id="gaps"><h2>Which gaps are real</h2><p>Paired bootstrap over items (both models' scores on the same items are resampled together). Coloured cells: the 95% CI of the gap excludes 0.</p>${blocks.join('')}</section>`;
}

function lossSection(analysis: RunAnalysis): string {
  if (!analysis.losses.some((l) => Number.isFinite(l))) {
    return '<section id="loss"><h2>Loss vs score</h2><p class="muted">No test loss in this run (no loss.json and no loss in results.json): run the loss stage to compare loss with judge scores.</p></section>';
  }
  const series = analysis.judges.map((j, k) => ({
    name: j.judge,
    color: colorFor(k),
    trend: true,
    points: analysis.models.map((model, m) => [analysis.losses[m] as number, j.summaries[m]?.mean ?? Number.NaN, `${model} — ${j.judge}: loss ${analysis.lossRecords?.[m] ? formatLoss(analysis.lossRecords[m]) : fmt(analysis.losses[m], 3)}, score ${fmt(j.summaries[m]?.mean, 2)}`] as [number, number, string]),
    errors: j.summaries.map((s) => s.ci95),
    // One name per model: every judge's point of a model shares its loss, so one label marks the column.
    ...(k === 0 ? { labels: analysis.models } : {}),
  }));
  const chart = scatterChart({ series, xLabel: 'test loss (lower is better)', yLabel: 'judge score', title: 'Loss vs score' });
  const rows = analysis.judges.map((j) => {
    const c = j.lossCorrelation;
    return [judgeLabel(j), fmtInt(c?.models), `${fmt(c?.pearson, 2)} <span class="ci">${fmtCI(c?.pearsonCi95, 2)}</span>`, `${fmt(c?.spearman, 2)} <span class="ci">${fmtCI(c?.spearmanCi95, 2)}</span>`, e(c?.caveat ?? '')];
  });
  return `<section id="loss"><h2>Loss vs score</h2><div class="legend">${legend(analysis.judges.map((j) => j.judge))}</div>${chart}${table(['Judge', 'Models', 'Pearson r [95% CI]', 'Spearman ρ [95% CI]', 'Note'], rows)}<p>A negative correlation means lower loss goes with higher scores. CIs resample models, so with few models they are wide.</p></section>`;
}

function legend(names: readonly string[]): string {
  return names.map((n, k) => `<span class="key"><span class="swatch" style="background:${colorFor(k)}"></span>${e(n)}</span>`).join(' ');
}

function reliabilitySection(analysis: RunAnalysis): string {
  const rows = analysis.judges.map((j) => [
    judgeLabel(j),
    fmtInt(j.repeats),
    fmt(j.testRetest.mean, 3),
    fmt(j.alphaAcrossRepeats, 3),
    fmt(j.rankStability.kendallW, 3),
    fmtPct(j.rankStability.sameRankingShare),
    fmtPct(j.summaries.reduce((s, x) => s + x.failed, 0) / Math.max(1, j.summaries.reduce((s, x) => s + x.failed + x.scored, 0)), 1),
  ]);
  const failures = table(
    ['Model', ...analysis.judges.map((j) => e(j.judge))],
    analysis.models.map((model, m) => [e(model), ...analysis.judges.map((j) => `${fmtPct(j.summaries[m]?.failureRate, 1)} <span class="muted">(${fmtInt(j.summaries[m]?.failed)}/${fmtInt((j.summaries[m]?.failed ?? 0) + (j.summaries[m]?.scored ?? 0))})</span>`)]),
  );
  return `<section id="reliability"><h2>Judge reliability</h2>${table(['Judge', 'Repeats', 'Test-retest r', 'α across repeats', "Kendall's W", 'Same ranking', 'Failed'], rows)}
<p>Test-retest r: Pearson correlation of item×model scores between two repeats (mean over pairs). α: Krippendorff's alpha (interval), 1 = repeats agree perfectly, 0 = no better than chance. W: agreement of the model rankings across repeats; "same ranking": share of repeats whose ranking equals the overall one. All need at least 2 repeats.</p>
<p>Krippendorff's α across judges (item×model means): <b>${fmt(analysis.alphaAcrossJudges, 3)}</b></p>
<h3>Parse-failure rate per model</h3>${failures}</section>`;
}

function comparisonSection(analysis: RunAnalysis): string {
  const byName = new Map(analysis.judges.map((j) => [j.judge, j]));
  const usage = table(
    ['Judge', 'Mode', 'Judged items', 'Calls', 'Cached', 'Attempts', 'Prompt tokens', 'Completion tokens', 'Cost (USD)'],
    analysis.judges.map((j) => [e(j.judge), e(j.mode), fmtInt(j.usage.records), fmtInt(j.usage.calls), fmtInt(j.usage.cachedCalls), fmtInt(j.usage.attempts), fmtInt(j.usage.promptTokens), fmtInt(j.usage.completionTokens), j.usage.cost === undefined ? '<span class="muted">no price given</span>' : `$${j.usage.cost.toFixed(4)}`]),
  );
  const blocks = analysis.comparisons.map((c) => {
    const a = byName.get(c.a);
    const b = byName.get(c.b);
    const rows = c.shifts.map((s) => [e(s.model), fmt(s.a, 2), fmt(s.b, 2), `${fmtSigned(s.shift, 2)} <span class="ci">${fmtCI(s.ci95, 2)}</span>`]);
    const stability = [a, b]
      .filter((j): j is JudgeAnalysis => j !== undefined)
      .map((j) => `${e(j.judge)}: W ${fmt(j.rankStability.kendallW, 3)}, same ranking in ${fmtPct(j.rankStability.sameRankingShare)} of ${j.repeats} repeats`)
      .join('; ');
    return `<h3>${e(c.a)} <span class="muted">(${e(a?.mode ?? '')})</span> vs ${e(c.b)} <span class="muted">(${e(b?.mode ?? '')})</span></h3>
<p>Rank agreement (Kendall τ-b between the two judges' model means): <b>${fmt(c.rankTauB, 3)}</b>. Rank stability across repeats: ${stability}.</p>
${table(['Model', e(c.a), e(c.b), `shift (${e(c.b)} − ${e(c.a)}) [95% CI]`], rows)}`;
  });
  return `<section id="modes"><h2>Single vs batched</h2>${blocks.length === 0 ? '<p class="muted">Only one judge in this run: judge with both `--mode single` and `--mode batched` to compare them.</p>' : blocks.join('')}<h3>Calls, tokens and cost</h3>${usage}</section>`;
}

function positionSection(analysis: RunAnalysis): string {
  const withBias = analysis.judges.filter((j) => j.positionBias);
  if (withBias.length === 0) return '<section id="position"><h2>Position bias</h2><p class="muted">No judge in this run recorded slot positions (only batched judges do).</p></section>';
  const blocks = withBias.map((j) => {
    const p = j.positionBias!;
    const raw = barChart({ title: `Mean score by slot (${j.judge})`, xLabel: 'slot shown in', yLabel: 'mean score', bars: p.slots.map((s) => ({ label: `#${s.slot}`, value: s.rawMean, ci: s.rawCi95, color: colorFor(0) })) });
    const effect = barChart({ title: `Slot effect (${j.judge})`, xLabel: 'slot shown in', yLabel: 'points vs average slot', bars: p.slots.map((s) => ({ label: `#${s.slot}`, value: s.effect, ci: s.effectCi95, color: colorFor(1) })) });
    const rows = j.summaries.map((s, m) => [e(s.model), `${fmt(s.mean, 2)} <span class="ci">${formatCi95(s.ci95, '—')}</span>`, `${fmt(p.corrected[m]?.mean, 2)} <span class="ci">${fmtCI(p.corrected[m]?.ci95)}</span>`, fmt(p.modelEstimates[m]?.estimate, 2)]);
    return `<h3>${judgeLabel(j)}</h3><div class="charts">${raw}${effect}</div>
<p>Slot effects from the additive model score ~ call + model + slot (least squares), CIs by bootstrap over items. Range of slot effects: <b>${fmt(p.effectRange, 2)}</b> points over ${fmtInt(p.observations)} scores.</p>
${table(['Model', 'Score', 'Position-corrected', 'Additive-model estimate'], rows)}`;
  });
  return `<section id="position"><h2>Position bias</h2>${blocks.join('')}</section>`;
}

function lengthSection(analysis: RunAnalysis): string {
  const blocks = analysis.judges.map((j, k) => {
    const l = j.lengthBias;
    const series = analysis.models.map((model, m) => ({ name: model, color: colorFor(m), points: l.points.filter((p) => p[2] === m).map((p) => [Math.log1p(p[0]), p[1], `${model}: ${p[0]} ${l.unit}, score ${fmt(p[1], 1)}`] as [number, number, string]) }));
    const chart = scatterChart({ series, xLabel: `log(1 + answer length in ${l.unit})`, yLabel: 'score (mean over repeats)', title: `Length vs score (${j.judge})`, radius: 2.5 });
    const rows = l.controlled.map((c) => [e(c.model), fmt(c.meanLength, 1), fmt(c.raw, 2), fmt(c.atMeanLength, 2)]);
    const body = `<p>Pearson r <b>${fmt(l.pearson, 3)}</b> <span class="ci">${fmtCI(l.pearsonCi95, 2)}</span>, Spearman ρ <b>${fmt(l.spearman, 3)}</b> over ${fmtInt(l.cells)} answers. Within items and models, one unit of log length is worth ${Number.isFinite(l.slopePerLogLength) ? `<b>${fmtSigned(l.slopePerLogLength, 2)}</b> <span class="ci">${fmtCI(l.slopeCi95, 2)}</span> points` : `<b class="slope-na">n/a</b> points <span class="muted">(not identified: ${analysis.models.length < 2 ? 'with one model, each item has one answer, so item effects absorb all length' : 'no length variation within items'})</span>`}.</p><div class="charts">${chart}</div>${table(['Model', `Mean length (${l.unit})`, 'Score', 'Length-controlled score'], rows)}`;
    return k === 0 ? `<h3>${judgeLabel(j)}</h3><div class="legend">${legend(analysis.models)}</div>${body}` : `<details><summary>${judgeLabel(j)}</summary>${body}</details>`;
  });
  return `<section id="length"><h2>Length bias</h2><p>Length-controlled score: from score ~ item + model + β·(log length − mean), each model's score at the mean log length of all answers.</p>${blocks.join('')}</section>`;
}

function taggerAccuracyLine(accuracy: TaggerAccuracy | null | undefined): string {
  if (accuracy === undefined) return '';
  if (accuracy === null) return '<p class="tagger-accuracy muted">Tagger accuracy: not measured for this tagger (the rule-based tagger is measured against a hand-labelled set; an LLM tagger would spend a call per labelled item).</p>';
  return `<p class="tagger-accuracy">Tagger accuracy (<b>${e(accuracy.tagger)}</b>): <b>${fmtPct(accuracy.accuracy, 0)}</b> of ${fmtInt(accuracy.total)} hand-labelled instructions (${fmtInt(accuracy.correct)} correct; the book's test split, the tiny tasks and Alpaca-style prompts; the rules were revised with this set in view, so it is an optimistic figure). Spot-check the tags in the item browser (filter by category).</p>`;
}

function categorySection(analysis: RunAnalysis, accuracy?: TaggerAccuracy | null): string {
  const withCategories = analysis.judges.filter((j) => j.categories);
  if (withCategories.length === 0) return '';
  const blocks = withCategories.map((j) => {
    const c = j.categories!;
    const rows = c.categories.map((cat) => [`${e(cat.category)} <span class="muted">(${cat.items})</span>`, ...cat.models.map((m) => `${fmt(m.mean, 1)} <span class="ci">${fmtCI(m.ci95, 0)}</span>`)]);
    return `<h3>${judgeLabel(j)}</h3>${table(['Category (items)', ...analysis.models.map((m) => e(m))], rows)}`;
  });
  return `<section id="categories"><h2>Scores by kind of task</h2><p>Items tagged as factual recall, rewriting/formatting, reasoning/math or other. If lower loss helps reasoning and rewriting but the factual-recall column tracks training data instead, the model is "smart" more than "knowledgeable" (see docs/analysis.md).</p>${taggerAccuracyLine(accuracy)}${blocks.join('')}</section>`;
}

function heatmapSection(run: LoadedRun, analysis: RunAnalysis): string {
  if (analysis.judges.length === 0) return '';
  const all = collectJudgeScores(run.judgments, analysis.models, run.items.items.map((it) => it.index));
  const charts = analysis.judges.map((j) => {
    const scores = all.find((s) => s.judge === j.judge);
    if (!scores) return '';
    return `<div><h3>${judgeLabel(j)}</h3><div class="scroll">${heatmap({ title: `Item by model scores (${j.judge})`, values: itemModelMeans(scores), rowLabels: run.items.items.map((it) => String(it.index)), columnLabels: analysis.models })}</div></div>`;
  });
  return `<section id="heatmap"><h2>Item × model heatmap</h2><p>Each judge's score per item and model, mean over repeats; red 0, yellow 50, green 100, grey no score. Click a row to open that item below.</p><div class="charts">${charts.join('')}</div></section>`;
}

const CSS = `
:root{--fg:#18181b;--muted:#71717a;--line:#e4e4e7;--bg:#fff;--accent:#2563eb}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{padding:20px 28px;border-bottom:1px solid var(--line);background:#fafafa}header h1{margin:0 0 4px;font-size:22px}
nav{position:sticky;top:0;background:#fff;border-bottom:1px solid var(--line);padding:6px 28px;z-index:2}nav a{margin-right:14px;color:var(--accent);text-decoration:none}
main{padding:0 28px 40px;max-width:1400px}section{margin-top:28px}h2{font-size:18px;border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}th{background:#f4f4f5;font-weight:600}
.muted{color:var(--muted)}.ci{color:var(--muted);font-size:12px}.warn{color:#b45309;font-size:12px}.pos{color:#15803d;font-weight:600}.neg{color:#b91c1c;font-weight:600}.ns{color:var(--fg)}
table.matrix td{text-align:center;min-width:70px}.charts{display:flex;flex-wrap:wrap;gap:16px}.scroll{overflow:auto;max-height:640px;border:1px solid var(--line)}
svg.chart{background:#fff;border:1px solid var(--line);margin:6px 0}svg .grid{stroke:#f1f1f4}svg .axis{stroke:#a1a1aa}svg .tick{font-size:10px;fill:#52525b}svg .label{font-size:11px;fill:#3f3f46}
svg .whisker{stroke:#3f3f46;stroke-width:1.2}svg .trend{stroke-width:1.5;stroke-dasharray:4 3}svg .point{fill-opacity:.85}svg .cell{cursor:pointer}
.legend .key{margin-right:12px;white-space:nowrap}.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px}
.warnings{background:#fffbeb;border:1px solid #fde68a;padding:8px 12px;margin-top:12px}
.controls{display:flex;gap:8px;align-items:center;margin:8px 0}.controls select{max-width:520px}
.item-meta pre,.answer pre{white-space:pre-wrap;word-break:break-word;background:#f8fafc;border:1px solid var(--line);padding:8px;margin:4px 0;font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;max-height:320px;overflow:auto}
.answers{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:12px;margin-top:10px}.answer{border:1px solid var(--line);border-radius:6px;padding:8px}
.answer h4{margin:0 0 4px}.score{display:inline-block;min-width:2.5em;text-align:center;border-radius:4px;padding:0 4px;margin-right:4px;font-weight:600}.comment{color:#3f3f46;font-size:12px;margin:2px 0}
body{overflow-wrap:anywhere}nav{display:flex;flex-wrap:wrap;gap:2px 0}table{display:block;max-width:100%;overflow-x:auto}svg.chart{max-width:100%;height:auto}
.charts>*{min-width:0;max-width:100%}.scroll svg.chart{max-width:none}.answers{grid-template-columns:repeat(auto-fill,minmax(min(300px,100%),1fr))}.controls select{max-width:100%}
svg .point-label{font-size:10px;font-weight:600}.run-json{white-space:pre-wrap;max-height:420px;overflow:auto;font-size:12px}
th,td{overflow-wrap:normal}section,[id^=item-]{scroll-margin-top:44px}
@media (max-width:600px){header,nav{padding-left:12px;padding-right:12px}nav{position:static}main{padding:0 12px 32px}}
`;

export function renderHtmlReport(run: LoadedRun, analysis: RunAnalysis, options: HtmlReportOptions = {}): string {
  const title = options.title ?? 'judgekit report';
  const judgesLine = analysis.judges.map((j) => judgeLabel(j)).join('; ') || '<span class="muted">none</span>';
  const warnings = [...analysis.warnings, ...run.problems.map((p) => `judgments.jsonl line ${p.line} skipped: ${p.reason}`)];
  const browser = itemBrowserData(run, analysis, options.categories);
  const sections = [
    scoresSection(analysis),
    comparisonHtmlSection(options.comparison),
    calibrationHtmlSection(analysis, options.calibration),
    differencesSection(analysis),
    lossSection(analysis),
    reliabilitySection(analysis),
    stabilityHtmlSection(analysis),
    comparisonSection(analysis),
    positionSection(analysis),
    lengthSection(analysis),
    pairwiseHtmlSection(analysis),
    categorySection(analysis, options.taggerAccuracy),
    humanAgreementHtmlSection(analysis),
    heatmapSection(run, analysis),
    finetuneCurvesSection(run),
    runInfoSection(run),
    itemBrowserSection(browser),
  ];
  const nav = [
    ['scores', 'Scores'],
    ...(options.comparison ? [['compare', 'Compared run']] : []),
    ...(options.calibration ? [['calibration', 'Calibration']] : []),
    ['gaps', 'Gaps'],
    ['loss', 'Loss vs score'],
    ['reliability', 'Reliability'],
    ...(analysis.judges.some((j) => j.stability && (j.stability.scores || j.stability.verdicts || j.stability.expected || j.stability.autoRepeats)) ? [['stability', 'Stability']] : []),
    ['modes', 'Single vs batched'],
    ['position', 'Position bias'],
    ['length', 'Length bias'],
    ...(analysis.judges.some((j) => j.pairwise || j.lengthBias.cells > 0) ? [['pairwise', 'Pairwise and LC']] : []),
    ...(analysis.judges.some((j) => j.categories) ? [['categories', 'Categories']] : []),
    ...(analysis.humanAgreement ? [['human', 'Human agreement']] : []),
    ['heatmap', 'Heatmap'],
    ...(run.finetune?.length ? [['finetune', 'Fine-tuning']] : []),
    ['run-info', 'Config'],
    ['browser', 'Items'],
  ];
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${e(title)}</title><style>${CSS}${ITEM_BROWSER_CSS}</style></head>
<body><header><h1>${e(title)}</h1>
<div>${fmtInt(analysis.items)} items · ${analysis.models.length} models · judges: ${judgesLine}</div>
${options.generatedAt ? `<div class="muted">Generated ${e(options.generatedAt)} from ${e(run.dir)}</div>` : ''}
${warnings.length > 0 ? `<div class="warnings"><b>Warnings</b><ul>${warnings.map((w) => `<li>${e(w)}</li>`).join('')}</ul></div>` : ''}
</header>
<nav>${nav.map(([id, label]) => `<a href="#${id}">${label}</a>`).join('')}</nav>
<main>${sections.join('\n')}</main>
<script type="application/json" id="item-data">${jsonForScript(browser)}</script>
<script>${ITEM_BROWSER_SCRIPT}</script>
</body></html>
`;
}

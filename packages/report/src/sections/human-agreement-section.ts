// The judge-human agreement table of report.html and report.md, shown when the run has blind ratings
// (`judgekit rate` writes ratings.jsonl); nothing at all otherwise.
import type { AgreementStatistics, HumanAgreement, RunAnalysis } from '@judgekit/core';
import { escapeHtml as e } from '../escape-html.js';
import { fmt, fmtCI, fmtInt, fmtPct } from '../format-number.js';

function withCi(value: number, ci: [number, number], html: boolean, percent = false): string {
  if (!Number.isFinite(value)) return html ? '<span class="muted" title="not defined: too few rated items or no variation">—</span>' : '—';
  const shown = percent ? fmtPct(value, 0) : fmt(value, 2);
  const interval = percent ? (Number.isFinite(ci[0]) && Number.isFinite(ci[1]) ? `[${fmtPct(ci[0], 0)}, ${fmtPct(ci[1], 0)}]` : '—') : fmtCI(ci, 2);
  return html ? `<b>${shown}</b> <span class="ci">${interval}</span>` : `${shown} ${interval}`;
}

function cells(s: AgreementStatistics, html: boolean): string[] {
  return [
    withCi(s.alpha, s.alphaCi95, html),
    withCi(s.kendallTau, s.kendallTauCi95, html),
    withCi(s.pairwiseAgreement, s.pairwiseAgreementCi95, html, true),
    withCi(s.kappa, s.kappaCi95, html),
    fmtInt(s.items),
  ];
}

const HEADERS = ["Krippendorff's α (interval)", 'Kendall τ per item', 'Pairwise agreement', "Cohen's κ (pairwise)", 'Items'];

function raterLine(h: HumanAgreement): string {
  return `${fmtInt(h.ratings)} ratings of ${fmtInt(h.items)} items by ${h.raters.length} rater(s), scale ${h.scales.join(', ')}`;
}

export function humanAgreementHtmlSection(analysis: RunAnalysis): string {
  const h = analysis.humanAgreement;
  if (!h) return '';
  const table = (headers: readonly string[], rows: ReadonlyArray<readonly string[]>, id: string) =>
    `<table id="${id}"><thead><tr>${headers.map((x) => `<th>${x}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
  const judgeRows = h.judges.map((j) => [`${e(j.judge)} <span class="muted">(${e(j.mode)})</span>`, ...cells(j, true)]);
  const inter = h.interRater
    ? `<h3>Inter-rater agreement</h3>${table(["Raters", "Krippendorff's α (interval)", "Mean pairwise Cohen's κ", 'Items rated by 2+'], [[fmtInt(h.interRater.raters), withCi(h.interRater.alpha, h.interRater.alphaCi95, true), withCi(h.interRater.meanKappa, h.interRater.meanKappaCi95, true), fmtInt(h.interRater.items)]], 'inter-rater-agreement')}`
    : '<p class="muted">One rater: inter-rater agreement needs ratings from at least two people.</p>';
  return `<section id="human"><h2>Judge-human agreement</h2>
<p>${e(raterLine(h))}: ${h.raters.map((r) => e(r)).join(', ')}. Each judge's item×model score (mean over repeats, /100) against the raters' consensus (mean of their ratings on a 0-1 scale). α: Krippendorff's alpha over the cells; τ: Kendall's tau-b of the two model orderings, mean over items; pairwise agreement: share of model pairs both order the same way (ties count as a third outcome); κ: Cohen's kappa on those pairwise preferences. 95% bootstrap CIs over items (see docs/analysis.md).</p>
${table(['Judge', ...HEADERS], judgeRows, 'human-agreement')}${inter}</section>`;
}

export function humanAgreementMarkdown(analysis: RunAnalysis, cell: (text: string) => string): string[] {
  const h = analysis.humanAgreement;
  if (!h) return [];
  const row = (r: readonly string[]) => `| ${r.join(' | ')} |`;
  const out = ['## Judge-human agreement (95% bootstrap CI over items)', '', `${raterLine(h)}.`, '', row(['judge', ...HEADERS]), row(['---', ...HEADERS.map(() => '---')])];
  for (const j of h.judges) out.push(row([`${cell(j.judge)} (${cell(j.mode)})`, ...cells(j, false)]));
  out.push('');
  if (h.interRater) {
    const r = h.interRater;
    out.push(`Inter-rater agreement (${r.raters} raters, ${r.items} items): Krippendorff's α ${withCi(r.alpha, r.alphaCi95, false)}, mean pairwise Cohen's κ ${withCi(r.meanKappa, r.meanKappaCi95, false)}.`, '');
  }
  return out;
}

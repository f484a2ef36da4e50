// The "compare two runs" section (`judgekit report <run-a> --compare <run-b>`), in HTML and Markdown.
import type { RunComparison } from '@judgekit/core';
import { escapeHtml as e } from './escape-html.js';
import { fmt, fmtCI, fmtSigned } from './format-number.js';

export interface ReportComparison {
  /** This run's directory and the compared one's, as given. */
  a: string;
  b: string;
  comparison: RunComparison;
}

function notes(c: RunComparison): string[] {
  const out: string[] = [];
  if (c.onlyA.models.length > 0) out.push(`models only in this run: ${c.onlyA.models.join(', ')}`);
  if (c.onlyB.models.length > 0) out.push(`models only in the compared run: ${c.onlyB.models.join(', ')}`);
  if (c.onlyA.judges.length > 0) out.push(`judges only in this run: ${c.onlyA.judges.join(', ')}`);
  if (c.onlyB.judges.length > 0) out.push(`judges only in the compared run: ${c.onlyB.judges.join(', ')}`);
  if (c.mismatchedItems.length > 0) out.push(`${c.mismatchedItems.length} item(s) with the same index but another instruction or input were not compared (first: #${c.mismatchedItems.slice(0, 5).join(', #')})`);
  return out;
}

export function comparisonHtmlSection(report: ReportComparison | undefined): string {
  if (!report) return '';
  const c = report.comparison;
  const blocks = c.judges.map((j) => {
    const rows = j.models
      .map((m) => `<tr><td>${e(m.model)}</td><td>${m.items}</td><td>${fmt(m.a, 2)}</td><td>${fmt(m.b, 2)}</td><td><span class="${m.significant ? (m.difference > 0 ? 'pos' : 'neg') : 'ns'}">${fmtSigned(m.difference, 2)}</span> <span class="ci">${fmtCI(m.ci95, 2)}</span></td><td>${m.answersChanged}</td></tr>`)
      .join('');
    const changed = j.changed
      .map((it) => `<tr><td><a href="#item-${it.index}">#${it.index}</a></td><td>${e(it.model)}</td><td>${e(it.instruction.slice(0, 80))}</td><td>${fmt(it.a, 1)}</td><td>${fmt(it.b, 1)}</td><td>${fmtSigned(it.difference, 1)}</td><td>${it.answerChanged ? 'changed' : ''}</td></tr>`)
      .join('');
    return `<h3>${e(j.judge)}</h3><table class="compare-models"><thead><tr><th>Model</th><th>Items</th><th>This run</th><th>Compared run</th><th>Difference [95% CI]</th><th>Answers changed</th></tr></thead><tbody>${rows}</tbody></table>
<p>Items that changed (score moved by ${c.threshold} points or more, answer text changed, or scored in one run only): ${j.changedTotal}${j.changedTotal > j.changed.length ? `, the ${j.changed.length} largest shown` : ''}.</p>${j.changed.length > 0 ? `<table class="compare-items"><thead><tr><th>Item</th><th>Model</th><th>Instruction</th><th>This run</th><th>Compared run</th><th>Difference</th><th>Answer</th></tr></thead><tbody>${changed}</tbody></table>` : ''}`;
  });
  const n = notes(c);
  return `<section id="compare"><h2>Compared with another run</h2><p>This run (<code>${e(report.a)}</code>) minus the compared run (<code>${e(report.b)}</code>), per judge and model, on the ${c.commonItems} items both runs hold (matched by index, same instruction and input): mean of the per-item differences (each item's mean over repeats) with a paired bootstrap 95% CI over items. Coloured: the CI excludes 0.</p>${n.length > 0 ? `<ul class="muted">${n.map((x) => `<li>${e(x)}</li>`).join('')}</ul>` : ''}${blocks.length > 0 ? blocks.join('') : '<p class="muted">No judge is in both runs.</p>'}</section>`;
}

/** `markdownCell` is render-markdown's cell escaper (passed in, so the two modules do not import each other). */
export function comparisonMarkdown(report: ReportComparison | undefined, markdownCell: (text: string) => string): string[] {
  if (!report) return [];
  const c = report.comparison;
  const out = ['## Compared with another run', '', `This run minus ${markdownCell(report.b)} on ${c.commonItems} common items (paired bootstrap 95% CI over items).`, ''];
  for (const note of notes(c)) out.push(`- ${markdownCell(note)}`);
  if (notes(c).length > 0) out.push('');
  for (const j of c.judges) {
    out.push(`| ${markdownCell(j.judge)}: model | items | this run | compared | difference [95% CI] | answers changed |`, '| --- | --- | --- | --- | --- | --- |');
    for (const m of j.models) out.push(`| ${markdownCell(m.model)} | ${m.items} | ${fmt(m.a, 2)} | ${fmt(m.b, 2)} | ${fmtSigned(m.difference, 2)} ${fmtCI(m.ci95, 2)}${m.significant ? ' *' : ''} | ${m.answersChanged} |`);
    out.push('', `${j.changedTotal} item/model pair(s) changed (moved ${c.threshold}+ points, answer changed, or scored in one run only).`, '');
  }
  return out;
}

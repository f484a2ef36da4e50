// Stability in the report: each judge's flip rate between identical repeats (a bar chart with CIs), the mean
// absolute change and the share of items whose model order changes, pairwise verdict flips, why `repeats auto`
// stopped, and, for logprob judges, the expected score beside the sampled one.
import { AUTO_STOP_EXPLANATIONS, type JudgeAnalysis, type RunAnalysis } from '@judgekit/core';
import { escapeHtml } from '../escape-html.js';
import { fmt, fmtCI, fmtPct } from '../format-number.js';
import { barChart, colorFor } from '../svg-charts.js';

const e = escapeHtml;

function pctCi(ci: readonly [number, number] | undefined): string {
  return ci && Number.isFinite(ci[0]) && Number.isFinite(ci[1]) ? `[${fmtPct(ci[0], 1)}, ${fmtPct(ci[1], 1)}]` : '—';
}

function htmlTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  return `<table class="stability"><thead><tr>${headers.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function mdTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  return [`| ${headers.join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function autoLine(j: JudgeAnalysis): string | undefined {
  const auto = j.stability?.autoRepeats;
  if (!auto) return undefined;
  return `repeats auto stopped after ${auto.repeats} repeats (${auto.judgments} judgments; items per repeat ${auto.itemsPerRepeat.join(', ')}) because ${AUTO_STOP_EXPLANATIONS[auto.stopped]}`;
}

/** The judges with anything to show: 2+ repeats, pairwise verdict flips, expected scores or an auto-repeats record. */
function shown(analysis: RunAnalysis): JudgeAnalysis[] {
  return analysis.judges.filter((j) => j.stability && (j.stability.scores || j.stability.verdicts || j.stability.expected || j.stability.autoRepeats));
}

export function stabilityHtmlSection(analysis: RunAnalysis): string {
  const judges = shown(analysis);
  if (judges.length === 0) return '';
  const flipping = judges.filter((j) => j.stability?.scores);
  const chart =
    flipping.length > 0
      ? barChart({
          title: 'Flip rate per judge (share of scores that change between identical repeats, 95% CI)',
          bars: flipping.map((j, k) => ({ label: j.judge, value: 100 * (j.stability?.scores?.flipRate ?? Number.NaN), ci: j.stability?.scores?.flipRateCi95.map((v) => 100 * v) as [number, number], color: colorFor(k) })),
          xLabel: 'judge',
          yLabel: 'flip rate (%)',
        })
      : '';
  const rows = judges.map((j) => {
    const s = j.stability?.scores;
    const v = j.stability?.verdicts;
    return [
      `${e(j.judge)} <span class="muted">(${e(j.mode)})</span>`,
      s ? String(s.repeats) : '—',
      s ? `${fmtPct(s.flipRate, 1)} <span class="ci">${pctCi(s.flipRateCi95)}</span>` : '—',
      s ? `${fmt(s.meanAbsChange, 2)} <span class="ci">${fmtCI(s.meanAbsChangeCi95, 2)}</span>` : '—',
      s && s.rankComparisons > 0 ? `${fmtPct(s.rankChangeRate, 1)} <span class="ci">${pctCi(s.rankChangeRateCi95)}</span>` : '—',
      v ? `${fmtPct(v.flipRate, 1)} <span class="ci">${pctCi(v.flipRateCi95)}</span>` : '—',
    ];
  });
  const autos = judges.map((j) => [j, autoLine(j)] as const).filter(([, line]) => line);
  const expected = judges.filter((j) => j.stability?.expected);
  const expectedTables = expected
    .map((j) =>
      `<h3>Expected score from log-probabilities: ${e(j.judge)}</h3>${htmlTable(
        ['Model', 'Sampled score', 'Expected score (95% CI)', 'Judgments with a distribution', 'Without'],
        (j.stability?.expected ?? []).map((row) => [e(row.model), fmt(row.sampled, 2), `<b>${fmt(row.expected, 2)}</b> <span class="ci">${fmtCI(row.ci95, 2)}</span>`, String(row.judgments), String(row.unavailable)]),
      )}`,
    )
    .join('');
  return `<section id="stability"><h2>Stability between repeats</h2>
<p>Flip rate: the share of (item, model, pair of repeats) whose two scores differ, as in the "Coin Flip Judge" measure; mean change: the mean absolute difference in points; order changes: the share of (item, pair of repeats) where some two models swap (or tie and untie) on the item. Pairwise judges: the share of verdicts (A, B or tie) that change. 95% bootstrap CIs over items. See docs/analysis.md.</p>
${chart}${htmlTable(['Judge', 'Repeats', 'Flip rate', 'Mean |change|', 'Item order changes', 'Pairwise verdict flips'], rows)}
${autos.map(([j, line]) => `<p class="auto-repeats"><b>${e(j.judge)}</b>: ${e(line as string)}.</p>`).join('')}${expectedTables}</section>`;
}

export function stabilityMarkdownSection(analysis: RunAnalysis, cell: (text: string) => string): string[] {
  const judges = shown(analysis);
  if (judges.length === 0) return [];
  const out = ['## Stability between repeats', ''];
  out.push(
    mdTable(
      ['judge', 'repeats', 'flip rate', 'mean abs change', 'item order changes', 'pairwise verdict flips'],
      judges.map((j) => {
        const s = j.stability?.scores;
        const v = j.stability?.verdicts;
        return [
          cell(j.judge),
          s ? String(s.repeats) : '—',
          s ? `${fmtPct(s.flipRate, 1)} ${pctCi(s.flipRateCi95)}` : '—',
          s ? `${fmt(s.meanAbsChange, 2)} ${fmtCI(s.meanAbsChangeCi95, 2)}` : '—',
          s && s.rankComparisons > 0 ? `${fmtPct(s.rankChangeRate, 1)} ${pctCi(s.rankChangeRateCi95)}` : '—',
          v ? `${fmtPct(v.flipRate, 1)} ${pctCi(v.flipRateCi95)}` : '—',
        ];
      }),
    ),
    '',
  );
  for (const j of judges) {
    const line = autoLine(j);
    if (line) out.push(`- **${cell(j.judge)}**: ${line}.`);
  }
  for (const j of judges.filter((x) => x.stability?.expected)) {
    out.push('', `Expected score from log-probabilities (${cell(j.judge)}):`, '');
    out.push(mdTable(['model', 'sampled', 'expected', '95% CI', 'with a distribution', 'without'], (j.stability?.expected ?? []).map((row) => [cell(row.model), fmt(row.sampled, 2), fmt(row.expected, 2), fmtCI(row.ci95, 2), String(row.judgments), String(row.unavailable)])));
  }
  out.push('');
  return out;
}

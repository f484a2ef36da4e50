// Pairwise judges and length control in the report: a Bradley-Terry forest plot (raw and length-controlled, with
// 95% CIs), the scores, win rates and win-rate matrix, position consistency and bias, the length preference, the
// pairwise ranking beside every other judge's with Kendall and Spearman rank correlations, and raw against
// length-controlled scores for every judge, with a flag where control changes the ranking.
import type { JudgeAnalysis, PairwiseJudgeAnalysis, RatedModel, RunAnalysis } from '@judgekit/core';
import { escapeHtml } from '../escape-html.js';
import { fmt, fmtCI, fmtPct } from '../format-number.js';
import { colorFor, niceTicks } from '../svg-charts.js';

const e = escapeHtml;

function pctCi(ci: readonly [number, number] | undefined): string {
  return ci && Number.isFinite(ci[0]) && Number.isFinite(ci[1]) ? `[${fmtPct(ci[0], 1)}, ${fmtPct(ci[1], 1)}]` : '—';
}

function htmlTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, className = 'pairwise'): string {
  return `<table class="${className}"><thead><tr>${headers.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function mdTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  return [`| ${headers.join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** Model indices by raw Bradley-Terry score, best first. */
function byScore(p: PairwiseJudgeAnalysis): number[] {
  return p.models.map((_, i) => i).sort((a, b) => (p.bradleyTerry[b]?.elo ?? -Infinity) - (p.bradleyTerry[a]?.elo ?? -Infinity));
}

/**
 * Forest plot: one row per model (best first), its Bradley-Terry score as a dot with its 95% CI as a line, and the
 * length-controlled score and CI as a hollow diamond below it.
 */
export function forestPlot(p: PairwiseJudgeAnalysis, options: { width?: number } = {}): string {
  const order = byScore(p);
  const width = options.width ?? 560;
  const left = Math.min(200, 16 + 7 * Math.max(4, ...p.models.map((m) => m.length)));
  const right = 20;
  const rowHeight = 30;
  const top = 24;
  const height = top + order.length * rowHeight + 40;
  const values = [...p.bradleyTerry, ...p.lengthControlled].flatMap((m) => [m.elo, ...m.ci95]).filter(Number.isFinite);
  const lo = values.length ? Math.min(...values) : 900;
  const hi = values.length ? Math.max(...values) : 1100;
  const pad = Math.max(5, (hi - lo) * 0.05);
  const [d0, d1] = [lo - pad, hi + pad];
  const x = (v: number): number => left + ((v - d0) / (d1 - d0)) * (width - left - right);
  const parts = [`<svg class="chart forest" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${e(`Bradley-Terry scores of ${p.judge} with 95% CIs`)}">`];
  for (const t of niceTicks(d0, d1)) {
    const tx = x(t).toFixed(1);
    parts.push(`<line class="grid" x1="${tx}" x2="${tx}" y1="${top - 8}" y2="${height - 36}"/><text class="tick" x="${tx}" y="${height - 22}" text-anchor="middle">${Math.round(t)}</text>`);
  }
  parts.push(`<text class="label" x="${(left + width - right) / 2}" y="${height - 6}" text-anchor="middle">Bradley-Terry score (Elo-style; ● raw, ◇ length-controlled)</text>`);
  order.forEach((i, row) => {
    const raw = p.bradleyTerry[i] as RatedModel;
    const lc = p.lengthControlled[i] as RatedModel;
    const y = top + row * rowHeight;
    const color = colorFor(i);
    parts.push(`<text class="tick model-label" x="${left - 8}" y="${y + 4}" text-anchor="end" dominant-baseline="middle">${e(raw.model)}</text>`);
    const bar = (m: RatedModel, dy: number, dash: string): void => {
      if (m.ci95.every(Number.isFinite)) parts.push(`<line x1="${x(m.ci95[0]).toFixed(1)}" x2="${x(m.ci95[1]).toFixed(1)}" y1="${y + dy}" y2="${y + dy}" stroke="${color}" stroke-width="2"${dash}/>`);
    };
    bar(raw, 0, '');
    bar(lc, 9, ' stroke-dasharray="3 2"');
    if (Number.isFinite(raw.elo)) parts.push(`<circle class="bt-raw" cx="${x(raw.elo).toFixed(1)}" cy="${y}" r="4.5" fill="${color}"><title>${e(`${raw.model}: ${fmt(raw.elo, 1)} ${fmtCI(raw.ci95, 1)}`)}</title></circle>`);
    if (Number.isFinite(lc.elo)) {
      const cx = x(lc.elo);
      parts.push(`<path class="bt-lc" d="M${(cx - 4).toFixed(1)} ${y + 9} L${cx.toFixed(1)} ${y + 5} L${(cx + 4).toFixed(1)} ${y + 9} L${cx.toFixed(1)} ${y + 13} Z" fill="white" stroke="${color}" stroke-width="1.5"><title>${e(`${lc.model}, length-controlled: ${fmt(lc.elo, 1)} ${fmtCI(lc.ci95, 1)}`)}</title></path>`);
    }
  });
  parts.push('</svg>');
  return parts.join('');
}

function judgeBlockHtml(j: JudgeAnalysis, p: PairwiseJudgeAnalysis): string {
  const order = byScore(p);
  const scores = htmlTable(
    ['Model', 'BT score', 'Rank', 'Length-controlled', 'LC rank', 'Win rate'],
    order.map((i) => {
      const raw = p.bradleyTerry[i] as RatedModel;
      const lc = p.lengthControlled[i] as RatedModel;
      const win = p.overallWinRate[i];
      const moved = raw.rank !== lc.rank ? ' class="rank-moved"' : '';
      return [e(raw.model), `<b>${fmt(raw.elo, 1)}</b> <span class="ci">${fmtCI(raw.ci95, 1)}</span>`, String(raw.rank), `${fmt(lc.elo, 1)} <span class="ci">${fmtCI(lc.ci95, 1)}</span>`, `<span${moved}>${lc.rank}</span>`, `${fmtPct(win?.rate, 1)} <span class="ci">${pctCi(win?.ci95)}</span>`];
    }),
  );
  const matrix = htmlTable(
    ['Row beats column', ...order.map((i) => e(p.models[i] ?? ''))],
    order.map((i) => [e(p.models[i] ?? ''), ...order.map((k) => (i === k ? '—' : fmtPct(p.winRates[i]?.[k], 0)))]),
    'pairwise win-matrix',
  );
  const agreement =
    p.agreement.length === 0
      ? ''
      : `<h4>Rankings side by side</h4>${htmlTable(
          ['Model', `${e(j.judge)} (pairwise BT)`, ...p.agreement.map((a) => `${e(a.judge)} (${e(a.mode)}) mean`)],
          order.map((i) => [e(p.models[i] ?? ''), `${fmt(p.bradleyTerry[i]?.elo, 1)} (#${p.bradleyTerry[i]?.rank ?? '?'})`, ...p.agreement.map((a) => fmt(a.means[i], 2))]),
        )}${htmlTable(
          ['Pairwise vs', "Kendall's τ-b (95% CI)", "Spearman's ρ (95% CI)"],
          p.agreement.map((a) => [`${e(a.judge)} <span class="muted">(${e(a.mode)})</span>`, `<b>${fmt(a.kendallTauB, 3)}</b> <span class="ci">${fmtCI(a.kendallCi95, 2)}</span>`, `<b>${fmt(a.spearman, 3)}</b> <span class="ci">${fmtCI(a.spearmanCi95, 2)}</span>`]),
        )}`;
  const flag = p.rankingChanged
    ? `<p class="ranking-changed"><b>The ranking changes under length control:</b> ${p.rankChanges.map((c) => `${e(c.model)} ${c.raw} → ${c.controlled}`).join(', ')}.</p>`
    : '<p class="muted">The ranking is the same under length control.</p>';
  return `<h3>${e(j.judge)} <span class="muted">(${e(j.provider)}:${e(j.model)})</span></h3>
<p>${p.comparisons} verdicts (${p.ties} ties, ${p.failed} without a usable reply). Position consistency (same winner in both orders): <b>${fmtPct(p.positionConsistency.rate, 1)}</b> <span class="ci">${pctCi(p.positionConsistency.ci95)}</span> of ${p.positionConsistency.n} pairs; the first-shown answer wins <b>${fmtPct(p.firstPositionWinRate.rate, 1)}</b> <span class="ci">${pctCi(p.firstPositionWinRate.ci95)}</span> of ${p.firstPositionWinRate.n} decisive verdicts (position term ${fmt(p.positionLogit.value, 3)} <span class="ci">${fmtCI(p.positionLogit.ci95, 3)}</span> logits). Length preference: <b>${fmt(p.lengthLogit.value, 3)}</b> <span class="ci">${fmtCI(p.lengthLogit.ci95, 3)}</span> logits per unit of log(1 + words) difference.</p>
<div class="charts">${forestPlot(p)}</div>${flag}${scores}<h4>Win rates</h4>${matrix}${agreement}`;
}

function controlledRowsHtml(j: JudgeAnalysis): string {
  const l = j.lengthBias;
  const rows = l.controlled.map((c) => [e(c.model), fmt(c.raw, 2), `${fmt(c.atMeanLength, 2)} <span class="ci">${fmtCI(c.ci95, 2)}</span>`]);
  return `<h4>${e(j.judge)} <span class="muted">(${e(j.mode)})</span>${l.rankingChanged ? ' <span class="ranking-changed">ranking changes under length control</span>' : ''}</h4>${htmlTable(['Model', 'Raw score', 'Length-controlled (95% CI)'], rows)}`;
}

export function pairwiseHtmlSection(analysis: RunAnalysis): string {
  const pairwise = analysis.judges.filter((j): j is JudgeAnalysis & { pairwise: PairwiseJudgeAnalysis } => j.pairwise !== undefined);
  const scored = analysis.judges.filter((j) => j.pairwise === undefined && j.lengthBias.cells > 0);
  if (pairwise.length === 0 && scored.length === 0) return '';
  const pairwiseHtml =
    pairwise.length === 0
      ? ''
      : `<p>Bradley-Terry scores: maximum likelihood of P(i beats j) = σ(s<sub>i</sub> − s<sub>j</sub>), ties as half a win, shown as 1000 + 400/ln 10 · s (Elo-style, as Arena-Hard). Length-controlled: the AlpacaEval 2-style GLM with a first-position term and a log-length-difference term, read with both at zero. 95% CIs by bootstrap over items. See docs/analysis.md.</p>${pairwise.map((j) => judgeBlockHtml(j, j.pairwise)).join('')}`;
  const scoredHtml = scored.length === 0 ? '' : `<h3>Raw against length-controlled scores</h3><p>Each model's score at the mean log length of all answers (within-item slope), with a 95% bootstrap CI over items that refits the slope.</p>${scored.map(controlledRowsHtml).join('')}`;
  return `<section id="pairwise"><h2>Pairwise and length control</h2>${pairwiseHtml}${scoredHtml}</section>`;
}

export function pairwiseMarkdownSection(analysis: RunAnalysis, cell: (text: string) => string): string[] {
  const pairwise = analysis.judges.filter((j): j is JudgeAnalysis & { pairwise: PairwiseJudgeAnalysis } => j.pairwise !== undefined);
  const scored = analysis.judges.filter((j) => j.pairwise === undefined && j.lengthBias.cells > 0);
  if (pairwise.length === 0 && scored.length === 0) return [];
  const out: string[] = ['## Pairwise and length control', ''];
  for (const j of pairwise) {
    const p = j.pairwise;
    const order = byScore(p);
    out.push(`### ${cell(j.judge)}: Bradley-Terry (Elo-style, ties as half wins, 95% bootstrap CIs over items)`, '');
    out.push(
      mdTable(
        ['model', 'BT', 'BT 95% CI', 'rank', 'length-controlled', 'LC 95% CI', 'LC rank', 'win rate', 'win rate 95% CI'],
        order.map((i) => {
          const raw = p.bradleyTerry[i] as RatedModel;
          const lc = p.lengthControlled[i] as RatedModel;
          return [cell(raw.model), fmt(raw.elo, 1), fmtCI(raw.ci95, 1), String(raw.rank), fmt(lc.elo, 1), fmtCI(lc.ci95, 1), String(lc.rank), fmtPct(p.overallWinRate[i]?.rate, 1), pctCi(p.overallWinRate[i]?.ci95)];
        }),
      ),
      '',
      `Position consistency (same winner in both orders): ${fmtPct(p.positionConsistency.rate, 1)} ${pctCi(p.positionConsistency.ci95)} of ${p.positionConsistency.n} pairs; first-shown answer wins ${fmtPct(p.firstPositionWinRate.rate, 1)} ${pctCi(p.firstPositionWinRate.ci95)} of ${p.firstPositionWinRate.n} decisive verdicts. Length preference: ${fmt(p.lengthLogit.value, 3)} ${fmtCI(p.lengthLogit.ci95, 3)} logits per unit of log(1 + words) difference.`,
      '',
      p.rankingChanged ? `**The ranking changes under length control:** ${p.rankChanges.map((c) => `${cell(c.model)} ${c.raw} → ${c.controlled}`).join(', ')}.` : 'The ranking is the same under length control.',
      '',
      'Win rates (row beats column):',
      '',
      mdTable(['', ...order.map((i) => cell(p.models[i] ?? ''))], order.map((i) => [cell(p.models[i] ?? ''), ...order.map((k) => (i === k ? '—' : fmtPct(p.winRates[i]?.[k], 0)))])),
      '',
    );
    if (p.agreement.length > 0) {
      out.push(
        'Rankings side by side:',
        '',
        mdTable(['model', `${cell(j.judge)} BT (rank)`, ...p.agreement.map((a) => `${cell(a.judge)} (${cell(a.mode)}) mean`)], order.map((i) => [cell(p.models[i] ?? ''), `${fmt(p.bradleyTerry[i]?.elo, 1)} (#${p.bradleyTerry[i]?.rank ?? '?'})`, ...p.agreement.map((a) => fmt(a.means[i], 2))])),
        '',
        mdTable(['pairwise vs', "Kendall's tau-b", '95% CI', "Spearman's rho", '95% CI'], p.agreement.map((a) => [`${cell(a.judge)} (${cell(a.mode)})`, fmt(a.kendallTauB, 3), fmtCI(a.kendallCi95, 2), fmt(a.spearman, 3), fmtCI(a.spearmanCi95, 2)])),
        '',
      );
    }
  }
  if (scored.length > 0) {
    out.push('### Raw against length-controlled scores (95% bootstrap CI over items)', '');
    for (const j of scored) {
      const l = j.lengthBias;
      out.push(`${cell(j.judge)} (${cell(j.mode)})${l.rankingChanged ? ': **the ranking changes under length control**' : ''}`, '');
      out.push(mdTable(['model', 'raw', 'length-controlled', '95% CI'], l.controlled.map((c) => [cell(c.model), fmt(c.raw, 2), fmt(c.atMeanLength, 2), fmtCI(c.ci95, 2)])), '');
    }
  }
  return out;
}

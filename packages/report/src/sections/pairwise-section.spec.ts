// The pairwise section of report.html and report.md: BT forest plot, scores with CIs, win rates, position
// consistency, the pairwise ranking beside the single judge's with rank correlations, raw against length-controlled.
import { describe, expect, it } from 'vitest';
import { analyzeRun, type JudgmentRecord, type PairwiseComparison, type RunItems } from '@judgekit/core';
import { renderHtmlReport } from '../render-html.js';
import { markdownCell, renderMarkdownReport } from '../render-markdown.js';
import { forestPlot, pairwiseHtmlSection, pairwiseMarkdownSection } from './pairwise-section.js';

const MODELS = ['strong', 'middle', 'weak'];
const QUALITY = [3, 2, 1];
const ITEMS = 8;

function run(): { items: RunItems; judgments: JudgmentRecord[] } {
  const items: RunItems = {
    items: Array.from({ length: ITEMS }, (_, index) => ({ index, instruction: `Task ${index}`, input: '', output: 'ref', prompt: `p${index}` })),
    // The weak model writes the longest answers.
    models: MODELS.map((name, m) => ({ name, responses: Array.from({ length: ITEMS }, (_, i) => Array.from({ length: 2 + m * 4 + (i % 3) }, () => 'w').join(' ')) })),
  };
  const judgments: JudgmentRecord[] = [];
  for (let index = 0; index < ITEMS; index++) {
    const comparisons: PairwiseComparison[] = [];
    for (let a = 0; a < 3; a++) {
      for (let b = 0; b < 3; b++) {
        if (a === b) continue;
        // The better model wins, except that on item 0 the first-shown answer always wins (position-inconsistent).
        const winner = index === 0 ? 'A' : (QUALITY[a] as number) > (QUALITY[b] as number) ? 'A' : 'B';
        comparisons.push({ a: MODELS[a] as string, b: MODELS[b] as string, winner });
      }
    }
    const share = (m: number): number => (100 * comparisons.filter((c) => (c.a === MODELS[m] && c.winner === 'A') || (c.b === MODELS[m] && c.winner === 'B')).length) / 4;
    judgments.push({ judge: 'pw', mode: 'pairwise', provider: 'p', model: 'judge', index, repeat: 0, scores: MODELS.map((model, m) => ({ model, score: share(m) })), comparisons, calls: 6, cachedCalls: 0, tokenUsage: { prompt: 60, completion: 6 }, attempts: 6 });
    judgments.push({ judge: 'single', mode: 'single', provider: 'p', model: 'judge', index, repeat: 0, scores: MODELS.map((model, m) => ({ model, score: 20 * (QUALITY[m] as number) + index })), calls: 3, cachedCalls: 0, tokenUsage: { prompt: 30, completion: 3 }, attempts: 3 });
  }
  return { items, judgments };
}

const data = run();
const analysis = analyzeRun(data, { bootstrap: { resamples: 100, seed: 3 } });

describe('pairwise analysis in the run analysis', () => {
  it('gives the pairwise judge Bradley-Terry scores in the planted order, a position consistency of 7 of 8 items, and its agreement with the single judge', () => {
    const p = analysis.judges.find((j) => j.judge === 'pw')?.pairwise;
    expect(p?.bradleyTerry.map((m) => m.rank)).toEqual([1, 2, 3]);
    // Item 0: each of the 3 pairs has the first-shown answer win in both orders, so it is inconsistent.
    expect(p?.positionConsistency.n).toBe(3 * ITEMS);
    expect(p?.positionConsistency.rate).toBeCloseTo(7 / 8, 10);
    expect(p?.agreement.map((a) => [a.judge, a.kendallTauB, a.spearman])).toEqual([['single', 1, 1]]);
    expect(analysis.judges.find((j) => j.judge === 'single')?.pairwise).toBeUndefined();
  });
});

describe('pairwise section rendering', () => {
  const p = analysis.judges.find((j) => j.judge === 'pw')?.pairwise;

  it('draws a forest plot with one raw dot and one length-controlled diamond per model, labelled by model', () => {
    const svg = forestPlot(p!);
    expect(svg.startsWith('<svg class="chart forest"')).toBe(true);
    expect(svg.match(/class="bt-raw"/g)).toHaveLength(3);
    expect(svg.match(/class="bt-lc"/g)).toHaveLength(3);
    for (const model of MODELS) expect(svg).toContain(`>${model}</text>`);
    const strong = p!.bradleyTerry[0]!;
    expect(svg).toContain(`strong: ${strong.elo.toFixed(1)} [${strong.ci95[0].toFixed(1)}, ${strong.ci95[1].toFixed(1)}]`);
  });

  it('shows the scores with CIs, win-rate matrix, position consistency, rank correlations and raw against length-controlled in report.html', () => {
    const html = renderHtmlReport({ ...data, dir: '/tmp/run', problems: [] }, analysis);
    expect(html).toContain('<section id="pairwise"><h2>Pairwise and length control</h2>');
    expect(html).toContain('<a href="#pairwise">Pairwise and LC</a>');
    const section = pairwiseHtmlSection(analysis);
    expect(html).toContain(section);
    const strong = p!.bradleyTerry[0]!;
    expect(section).toContain(`<b>${strong.elo.toFixed(1)}</b> <span class="ci">[${strong.ci95[0].toFixed(1)}, ${strong.ci95[1].toFixed(1)}]</span>`);
    expect(section).toContain('Position consistency (same winner in both orders): <b>87.5%</b>');
    expect(section).toContain("Kendall's τ-b (95% CI)");
    expect(section).toContain('<td>single <span class="muted">(single)</span></td><td><b>1.000</b>');
    // strong beats weak 15 times in 16 (item 0: once each way).
    expect(section).toMatch(/<td>strong<\/td><td>—<\/td><td>\d+%<\/td><td>94%<\/td>/);
    expect(section).toContain('<h3>Raw against length-controlled scores</h3>');
    const lc = analysis.judges.find((j) => j.judge === 'single')!.lengthBias.controlled[0]!;
    expect(section).toContain(`${lc.atMeanLength.toFixed(2)} <span class="ci">[${lc.ci95[0].toFixed(2)}, ${lc.ci95[1].toFixed(2)}]</span>`);
  });

  it('prints the same figures in report.md', () => {
    const md = renderMarkdownReport(analysis, 'T');
    const lines = pairwiseMarkdownSection(analysis, markdownCell);
    expect(md).toContain(lines.join('\n'));
    const strong = p!.bradleyTerry[0]!;
    expect(md).toContain(`| strong | ${strong.elo.toFixed(1)} | [${strong.ci95[0].toFixed(1)}, ${strong.ci95[1].toFixed(1)}] | 1 |`);
    expect(md).toContain('Position consistency (same winner in both orders): 87.5%');
    expect(md).toContain('| single (single) | 1.000 | [');
    expect(md).toContain('### Raw against length-controlled scores (95% bootstrap CI over items)');
  });

  it('flags a ranking that length control changes, in both formats', () => {
    const flagged = { ...analysis, judges: analysis.judges.map((j) => (j.pairwise ? { ...j, pairwise: { ...j.pairwise, rankingChanged: true, rankChanges: [{ model: 'weak', raw: 3, controlled: 2 }, { model: 'middle', raw: 2, controlled: 3 }] } } : j)) };
    expect(pairwiseHtmlSection(flagged)).toContain('<b>The ranking changes under length control:</b> weak 3 → 2, middle 2 → 3.');
    expect(pairwiseMarkdownSection(flagged, markdownCell).join('\n')).toContain('**The ranking changes under length control:** weak 3 → 2, middle 2 → 3.');
  });

  it('adds nothing for a run without judgments', () => {
    const empty = analyzeRun({ items: { items: [], models: [] }, judgments: [] });
    expect(pairwiseHtmlSection(empty)).toBe('');
    expect(pairwiseMarkdownSection(empty, markdownCell)).toEqual([]);
  });
});

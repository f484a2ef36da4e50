// report.md: the same findings as report.html, short enough to print in a terminal.
import type { RunAnalysis, TaggerAccuracy } from '@judgekit/core';
import { formatCi95, formatLoss } from '@judgekit/core';
import { fmt, fmtCI, fmtPct, fmtSigned, fmtInt } from './format-number.js';
import { comparisonMarkdown, type ReportComparison } from './compare-section.js';
import { humanAgreementMarkdown } from './sections/human-agreement-section.js';
import { calibrationMarkdownSection, type RunCalibration } from './sections/calibration-section.js';
import { stabilityMarkdownSection } from './sections/stability-section.js';
import { pairwiseMarkdownSection } from './sections/pairwise-section.js';

/** Table cells may hold model names: keep pipes and newlines from breaking the table. */
export function markdownCell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
}

function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  return [`| ${headers.join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export function renderMarkdownReport(analysis: RunAnalysis, title = 'judgekit report', extras: { calibration?: RunCalibration; taggerAccuracy?: TaggerAccuracy | null; comparison?: ReportComparison } = {}): string {
  const out: string[] = [`# ${markdownCell(title)}`, ''];
  out.push(`${analysis.items} items, ${analysis.models.length} models, ${analysis.judges.length} judge(s).`, '');
  const hasLoss = analysis.losses.some((l) => Number.isFinite(l));
  const order = analysis.models.map((_, m) => m);
  if (hasLoss) order.sort((a, b) => (analysis.losses[a] ?? Infinity) - (analysis.losses[b] ?? Infinity));
  out.push(
    '## Scores (mean over items, 95% bootstrap CI)',
    '',
    table(
      ['model', ...(hasLoss ? ['test loss'] : []), ...analysis.judges.map((j) => `${markdownCell(j.judge)} (${markdownCell(j.mode)})`)],
      order.map((m) => {
        const record = analysis.lossRecords?.[m];
        const loss = record ? markdownCell(formatLoss(record)) : fmt(analysis.losses[m], 3);
        return [markdownCell(analysis.models[m] ?? ''), ...(hasLoss ? [loss] : []), ...analysis.judges.map((j) => `${fmt(j.summaries[m]?.mean, 2)} ${formatCi95(j.summaries[m]?.ci95, '—')}`)];
      }),
    ),
    '',
  );
  for (const j of analysis.judges) {
    const real = j.differences.filter((d) => d.significant).length;
    out.push(`- **${markdownCell(j.judge)}**: ${real} of ${j.differences.length} model gaps have a paired 95% CI excluding 0.`);
  }
  if (extras.calibration) out.push('', calibrationMarkdownSection(analysis, extras.calibration).trimEnd());
  if (extras.comparison) out.push('', ...comparisonMarkdown(extras.comparison, markdownCell));
  out.push('', '## Judge reliability', '');
  out.push(
    table(
      ['judge', 'repeats', 'test-retest r', 'alpha (repeats)', "Kendall's W", 'same ranking', 'failed'],
      analysis.judges.map((j) => {
        const failed = j.summaries.reduce((s, x) => s + x.failed, 0);
        const total = j.summaries.reduce((s, x) => s + x.failed + x.scored, 0);
        return [markdownCell(j.judge), String(j.repeats), fmt(j.testRetest.mean, 3), fmt(j.alphaAcrossRepeats, 3), fmt(j.rankStability.kendallW, 3), fmtPct(j.rankStability.sameRankingShare), `${fmtPct(total === 0 ? Number.NaN : failed / total, 1)} (${failed}/${total})`];
      }),
    ),
    '',
    `Krippendorff's alpha across judges: ${fmt(analysis.alphaAcrossJudges, 3)}`,
    '',
  );
  out.push(...stabilityMarkdownSection(analysis, markdownCell));
  if (analysis.comparisons.length > 0) {
    out.push('## Judge vs judge', '');
    for (const c of analysis.comparisons) {
      const shifts = c.shifts.map((s) => `${markdownCell(s.model)} ${fmtSigned(s.shift, 1)}`).join(', ');
      out.push(`- **${markdownCell(c.a)} vs ${markdownCell(c.b)}**: Kendall tau-b ${fmt(c.rankTauB, 3)}; shift (${markdownCell(c.b)} − ${markdownCell(c.a)}): ${shifts}`);
    }
    out.push('');
  }
  out.push(
    table(
      ['judge', 'mode', 'calls', 'cached', 'prompt tokens', 'completion tokens', 'cost'],
      analysis.judges.map((j) => [markdownCell(j.judge), markdownCell(j.mode), fmtInt(j.usage.calls), fmtInt(j.usage.cachedCalls), fmtInt(j.usage.promptTokens), fmtInt(j.usage.completionTokens), j.usage.cost === undefined ? '—' : `$${j.usage.cost.toFixed(4)}`]),
    ),
    '',
  );
  const positional = analysis.judges.filter((j) => j.positionBias);
  if (positional.length > 0) {
    out.push('## Position bias (slot effect vs the average slot, 95% CI)', '');
    for (const j of positional) {
      const slots = j.positionBias!.slots.map((s) => `#${s.slot} ${fmtSigned(s.effect, 1)} ${fmtCI(s.effectCi95)}`).join(', ');
      out.push(`- **${markdownCell(j.judge)}**: ${slots}`);
    }
    out.push('');
  }
  out.push('## Length bias', '');
  for (const j of analysis.judges) {
    const l = j.lengthBias;
    out.push(`- **${markdownCell(j.judge)}**: length vs score Pearson ${fmt(l.pearson, 3)}, Spearman ${fmt(l.spearman, 3)} (${l.cells} answers, ${l.unit}); ${Number.isFinite(l.slopePerLogLength) ? `${fmtSigned(l.slopePerLogLength, 2)} ${fmtCI(l.slopeCi95, 2)}` : 'n/a (not identified: no length variation within items)'} points per unit log length within items and models.`);
  }
  out.push('');
  out.push(...pairwiseMarkdownSection(analysis, markdownCell));
  if (hasLoss) {
    out.push('## Loss vs score', '');
    for (const j of analysis.judges) {
      const c = j.lossCorrelation;
      if (!c) continue;
      out.push(`- **${markdownCell(j.judge)}**: Pearson ${fmt(c.pearson, 2)} ${fmtCI(c.pearsonCi95, 2)}, Spearman ${fmt(c.spearman, 2)} ${fmtCI(c.spearmanCi95, 2)} over ${c.models} models.${c.caveat ? ` ${c.caveat}` : ''}`);
    }
    out.push('');
  }
  const categorized = analysis.judges.find((j) => j.categories);
  if (categorized?.categories) {
    out.push(`## Scores by kind of task (${markdownCell(categorized.judge)})`, '');
    const accuracy = extras.taggerAccuracy;
    if (accuracy) out.push(`Tagger accuracy (${markdownCell(accuracy.tagger)}): ${fmtPct(accuracy.accuracy, 0)} of ${accuracy.total} hand-labelled instructions (${accuracy.correct} correct; in-sample for the rules).`, '');
    else if (accuracy === null) out.push('Tagger accuracy: not measured for this tagger.', '');
    out.push(
      table(
        ['category (items)', ...analysis.models.map(markdownCell)],
        categorized.categories.categories.map((c) => [`${markdownCell(c.category)} (${c.items})`, ...c.models.map((m) => fmt(m.mean, 1))]),
      ),
      '',
    );
  }
  out.push(...humanAgreementMarkdown(analysis, markdownCell));
  if (analysis.warnings.length > 0) out.push('## Warnings', '', ...analysis.warnings.map((w) => `- ${markdownCell(w)}`), '');
  return `${out.join('\n').trimEnd()}\n`;
}

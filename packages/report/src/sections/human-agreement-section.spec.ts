import { describe, expect, it } from 'vitest';
import type { HumanAgreement, RunAnalysis } from '@judgekit/core';
import { markdownCell } from '../render-markdown.js';
import { humanAgreementHtmlSection, humanAgreementMarkdown } from './human-agreement-section.js';

const stats = { alpha: 0.81234, alphaCi95: [0.6, 0.9] as [number, number], kendallTau: 0.5, kendallTauCi95: [0.2, 0.8] as [number, number], pairwiseAgreement: 0.75, pairwiseAgreementCi95: [0.6, 0.9] as [number, number], kappa: 0.4, kappaCi95: [0.1, 0.7] as [number, number], items: 20, pairs: 60 };
const agreement: HumanAgreement = {
  raters: ['ann', '<b>bob</b>'],
  scales: ['10'],
  items: 20,
  ratings: 40,
  judges: [{ judge: 'batched|x', mode: 'batched', ...stats }],
  interRater: { raters: 2, alpha: 0.7, alphaCi95: [0.5, 0.8], meanKappa: Number.NaN, meanKappaCi95: [Number.NaN, Number.NaN], items: 20 },
};
const analysis = (h?: HumanAgreement) => ({ ...(h ? { humanAgreement: h } : {}) }) as RunAnalysis;

describe('the judge-human agreement section', () => {
  it('is absent from both reports when the run has no ratings', () => {
    expect(humanAgreementHtmlSection(analysis())).toBe('');
    expect(humanAgreementMarkdown(analysis(), markdownCell)).toEqual([]);
  });

  it('puts one row per judge with every statistic and its CI in report.md, and the inter-rater line', () => {
    const md = humanAgreementMarkdown(analysis(agreement), markdownCell).join('\n');
    expect(md).toContain('| batched\\|x (batched) | 0.81 [0.60, 0.90] | 0.50 [0.20, 0.80] | 75% [60%, 90%] | 0.40 [0.10, 0.70] | 20 |');
    expect(md).toContain("Inter-rater agreement (2 raters, 20 items): Krippendorff's α 0.70 [0.50, 0.80], mean pairwise Cohen's κ —.");
  });

  it('escapes rater and judge names in report.html', () => {
    const html = humanAgreementHtmlSection(analysis(agreement));
    expect(html).toContain('&lt;b&gt;bob&lt;/b&gt;');
    expect(html).not.toContain('<b>bob</b>');
    expect(html).toContain('id="inter-rater-agreement"');
  });
});

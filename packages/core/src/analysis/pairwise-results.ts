// What a pairwise judge adds to results.json (`pairwise[judge]`) and results.md: Bradley-Terry scores with CIs,
// raw against length-controlled, win rates, position consistency and bias, and the length preference.
import type { PairwiseAnalysis, Rate } from './bradley-terry.js';
import { formatCi95 } from './format-ci.js';

export interface PairwiseResults {
  /** `elo`: 1000 + 400/ln 10 x the centred Bradley-Terry logit (ties as half wins). */
  scale: 'elo';
  comparisons: number;
  ties: number;
  failed: number;
  models: Array<{
    name: string;
    bt: number;
    ci95: [number, number];
    rank: number;
    /** Length-controlled (AlpacaEval 2-style GLM, length and position terms at zero). */
    lc: number;
    lcCi95: [number, number];
    lcRank: number;
    winRate: number;
    winRateCi95: [number, number];
  }>;
  /** `winRates[i][j]`: share of i's comparisons with j that i won (ties half); null on the diagonal or without comparisons. */
  winRates: Array<Array<number | null>>;
  positionConsistency: Rate;
  firstPositionWinRate: Rate;
  positionLogit: { value: number; ci95: [number, number] };
  lengthLogit: { value: number; ci95: [number, number] };
  rankingChanged: boolean;
  rankChanges: Array<{ model: string; raw: number; controlled: number }>;
}

export function pairwiseResults(analysis: PairwiseAnalysis): PairwiseResults {
  return {
    scale: 'elo',
    comparisons: analysis.comparisons,
    ties: analysis.ties,
    failed: analysis.failed,
    models: analysis.models.map((name, i) => {
      const bt = analysis.bradleyTerry[i];
      const lc = analysis.lengthControlled[i];
      const win = analysis.overallWinRate[i];
      return { name, bt: bt?.elo ?? Number.NaN, ci95: bt?.ci95 ?? [Number.NaN, Number.NaN], rank: bt?.rank ?? 0, lc: lc?.elo ?? Number.NaN, lcCi95: lc?.ci95 ?? [Number.NaN, Number.NaN], lcRank: lc?.rank ?? 0, winRate: win?.rate ?? Number.NaN, winRateCi95: win?.ci95 ?? [Number.NaN, Number.NaN] };
    }),
    winRates: analysis.winRates.map((row) => row.map((value) => (Number.isNaN(value) ? null : value))),
    positionConsistency: analysis.positionConsistency,
    firstPositionWinRate: analysis.firstPositionWinRate,
    positionLogit: analysis.positionLogit,
    lengthLogit: analysis.lengthLogit,
    rankingChanged: analysis.rankingChanged,
    rankChanges: analysis.rankChanges,
  };
}

const fixed = (value: number, digits: number): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const percent = (value: number): string => (Number.isFinite(value) ? `${(100 * value).toFixed(1)}%` : 'n/a');
const percentCi = (ci: readonly [number, number]): string => (ci.every(Number.isFinite) ? `[${(100 * ci[0]).toFixed(1)}, ${(100 * ci[1]).toFixed(1)}]` : 'n/a');
const cell = (text: string): string => text.replace(/\|/g, '\\|');

/** The Markdown a pairwise judge adds under its score table. */
export function formatPairwiseMarkdown(judge: string, results: PairwiseResults): string {
  const lines = [
    '',
    `Pairwise \`${judge}\`: Bradley-Terry scores (Elo-style, 1000 + 400/ln 10 x logit; ties as half wins; 95% CIs by bootstrap over items), ${results.comparisons} verdicts (${results.ties} ties, ${results.failed} without a usable reply)`,
    '',
    '| model | BT | BT 95% CI | rank | LC BT | LC 95% CI | LC rank | win rate | win rate 95% CI |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const order = results.models.map((_, i) => i).sort((a, b) => (results.models[a]?.rank ?? 0) - (results.models[b]?.rank ?? 0));
  for (const i of order) {
    const m = results.models[i] as PairwiseResults['models'][number];
    lines.push(`| ${cell(m.name)} | ${fixed(m.bt, 1)} | ${formatCi95(m.ci95)} | ${m.rank} | ${fixed(m.lc, 1)} | ${formatCi95(m.lcCi95)} | ${m.lcRank} | ${percent(m.winRate)} | ${percentCi(m.winRateCi95)} |`);
  }
  lines.push(
    '',
    `Position consistency (same winner in both orders): ${percent(results.positionConsistency.rate)} ${percentCi(results.positionConsistency.ci95)} of ${results.positionConsistency.n} pairs; first-shown answer wins ${percent(results.firstPositionWinRate.rate)} ${percentCi(results.firstPositionWinRate.ci95)} of ${results.firstPositionWinRate.n} decisive verdicts.`,
    `Length preference: ${fixed(results.lengthLogit.value, 3)} ${formatCi95(results.lengthLogit.ci95)} logits per unit of log(1 + words) difference; position: ${fixed(results.positionLogit.value, 3)} ${formatCi95(results.positionLogit.ci95)} logits for the first-shown answer.`,
    results.rankingChanged
      ? `RANKING CHANGES under length control: ${results.rankChanges.map((c) => `${c.model} ${c.raw} -> ${c.controlled}`).join(', ')}.`
      : 'The ranking is the same under length control.',
  );
  return `${lines.join('\n')}\n`;
}

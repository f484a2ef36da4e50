// How repeatable a judge is: test-retest correlation between repeats, Krippendorff's alpha across repeats and
// across judges, and how stable its model ranking is from one repeat to the next.
import { finiteMean, itemModelMeans, type JudgeScores } from './judge-scores.js';
import { kendallTauB, kendallW, pearson } from './correlation.js';
import { krippendorffAlphaInterval } from './krippendorff-alpha.js';

function flatten(grid: readonly (readonly number[])[]): number[] {
  const out: number[] = [];
  for (const row of grid) out.push(...row);
  return out;
}

export interface TestRetest {
  /** Mean Pearson r over all pairs of repeats (item x model cells scored in both). NaN with one repeat. */
  mean: number;
  pairs: Array<{ a: number; b: number; r: number; cells: number }>;
}

export function testRetest(judge: JudgeScores): TestRetest {
  const pairs: TestRetest['pairs'] = [];
  for (let a = 0; a < judge.repeats.length; a++) {
    for (let b = a + 1; b < judge.repeats.length; b++) {
      const x = flatten(judge.scores[a] as number[][]);
      const y = flatten(judge.scores[b] as number[][]);
      const cells = x.filter((v, k) => !Number.isNaN(v) && !Number.isNaN(y[k] as number)).length;
      pairs.push({ a: judge.repeats[a] as number, b: judge.repeats[b] as number, r: pearson(x, y), cells });
    }
  }
  return { mean: finiteMean(pairs.map((p) => p.r)), pairs };
}

/** Alpha with repeats as coders and item x model cells as units. */
export function alphaAcrossRepeats(judge: JudgeScores): number {
  if (judge.repeats.length < 2) return Number.NaN;
  return krippendorffAlphaInterval(judge.scores.map((repeat) => flatten(repeat)));
}

/**
 * Alpha with judges as coders and item x model cells (each judge's mean over its repeats) as units. Judges must
 * share the model and item order (as `collectJudgeScores` gives them).
 */
export function alphaAcrossJudges(judges: readonly JudgeScores[]): number {
  if (judges.length < 2) return Number.NaN;
  return krippendorffAlphaInterval(judges.map((j) => flatten(itemModelMeans(j))));
}

/** Per-repeat model means (`[repeat][model]`, over items). */
function repeatModelMeans(judge: JudgeScores): number[][] {
  return judge.scores.map((repeat) => judge.models.map((_, m) => finiteMean(repeat.map((row) => row[m] as number))));
}

/** Model means over all items and repeats (item means first, as in `modelScoreSummaries`). */
export function overallModelMeans(judge: JudgeScores): number[] {
  const cells = itemModelMeans(judge);
  return judge.models.map((_, m) => finiteMean(cells.map((row) => row[m] as number)));
}

/** Rank of each entry, 1 = highest, ties share the lower rank number (competition ranking). */
export function rankDescending(values: readonly number[]): number[] {
  return values.map((v) => 1 + values.filter((w) => w > v).length);
}

export interface RankStability {
  repeats: number;
  /** Share of repeats whose model ranking equals the overall ranking exactly. NaN with one repeat. */
  sameRankingShare: number;
  /** Kendall's W across repeats (repeats as raters, models as objects). */
  kendallW: number;
  /** Mean Kendall tau-b between each repeat's model means and the overall means. */
  meanTauToOverall: number;
}

export function rankStability(judge: JudgeScores): RankStability {
  const perRepeat = repeatModelMeans(judge);
  const overall = overallModelMeans(judge);
  const overallRanks = rankDescending(overall);
  if (perRepeat.length < 2) return { repeats: perRepeat.length, sameRankingShare: Number.NaN, kendallW: Number.NaN, meanTauToOverall: Number.NaN };
  const same = perRepeat.filter((row) => rankDescending(row).every((r, m) => r === overallRanks[m])).length;
  return {
    repeats: perRepeat.length,
    sameRankingShare: same / perRepeat.length,
    kendallW: kendallW(perRepeat),
    meanTauToOverall: finiteMean(perRepeat.map((row) => kendallTauB(row, overall))),
  };
}

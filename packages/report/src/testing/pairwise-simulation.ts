// Pairwise verdicts of the judge simulator, with planted Bradley-Terry strengths, position bias and length
// preference: P(first-shown answer wins) = sigmoid((q_A - q_B) / pointsPerLogit + positionLogit + lengthLogit x
// (log(1 + words_A) - log(1 + words_B))), q the answer's true quality; a tie with probability `tieRate` first.
// These are exactly the terms core's preference GLM fits, so its estimates should cover the planted values.
import type { Random } from '@judgekit/core';

export interface PairwiseSimulation {
  /** Quality points per logit of preference (default 10: a 10-point better answer wins 73% of the time). */
  pointsPerLogit?: number;
  /** Logit added for the answer shown first (a position bias); default 0. */
  positionLogit?: number;
  /** Logit per unit of log(1 + words) difference, first minus second (> 0: longer preferred); default 0. */
  lengthLogit?: number;
  /** Share of verdicts that are ties regardless of the answers; default 0. */
  tieRate?: number;
}

function words(text: string): number {
  const t = text.trim();
  return t === '' ? 0 : t.split(/\s+/u).length;
}

/** The planted probability that the first-shown answer wins (ties aside). */
export function plantedFirstWins(first: string, second: string, quality: (answer: string) => number, planted: PairwiseSimulation = {}): number {
  const z = (quality(first) - quality(second)) / (planted.pointsPerLogit ?? 10) + (planted.positionLogit ?? 0) + (planted.lengthLogit ?? 0) * (Math.log1p(words(first)) - Math.log1p(words(second)));
  return 1 / (1 + Math.exp(-z));
}

/** One verdict and the reply the simulator sends (the pairwise prompt's JSON). `failed`: a planted unusable reply. */
export function simulatePairwiseVerdict(first: string, second: string, quality: (answer: string) => number, planted: PairwiseSimulation, random: Random, failed: boolean): { winner: 'A' | 'B' | 'tie' | null; reply: string } {
  const tie = random() < (planted.tieRate ?? 0);
  const firstWins = random() < plantedFirstWins(first, second, quality, planted);
  if (failed) return { winner: null, reply: 'Both answers have their merits.' };
  const winner = tie ? 'tie' : firstWins ? 'A' : 'B';
  return { winner, reply: JSON.stringify({ winner, comments: `simulated: quality ${quality(first).toFixed(1)} vs ${quality(second).toFixed(1)}` }) };
}

import type { Contribution } from './contribution.js';

// Reporters turn a finished run directory into files a person reads.

export interface ReportOutput {
  files: string[];
}

export const Reporter = Symbol.for('@judgekit/core/Reporter');
/** Selected by the config's `reporters` (default `html`). */
export interface Reporter extends Contribution {
  report(runDir: string, options?: Record<string, unknown>): Promise<ReportOutput>;
}

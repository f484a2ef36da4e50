// Reporters turn a finished run directory into files a person reads.

export interface ReportOutput {
  files: string[];
}

export const Reporter = Symbol.for('@judgekit/core/Reporter');
export interface Reporter {
  readonly id: string;
  report(runDir: string): Promise<ReportOutput>;
}

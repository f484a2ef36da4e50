// core's Reporter contract for the HTML + Markdown report.
import { inject, injectable } from 'inversify';
import { CategoryTagger, type ReportOutput, type Reporter } from '@judgekit/core';
import { writeRunReport } from './run-report.js';

@injectable()
export class HtmlReporter implements Reporter {
  readonly id = 'html';
  readonly description = 'A self-contained HTML report and its Markdown twin: the table with CIs, judge reliability and bias, loss against score, annotated answers.';

  constructor(@inject(CategoryTagger) private readonly tagger: CategoryTagger) {}

  async report(runDir: string): Promise<ReportOutput> {
    const { files } = await writeRunReport(runDir, { tagger: this.tagger });
    return { files };
  }
}

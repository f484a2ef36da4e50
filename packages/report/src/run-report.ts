// Reads a run directory, analyses it and writes report.html and report.md next to it (or into `outDir`).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  analyzeRun,
  RUN_FILES,
  ruleBasedCategoryTagger,
  writeFileAtomic,
  type CategoryTagger,
  type PriceTable,
  type LengthUnit,
  type RunAnalysis,
} from '@judgekit/core';
import { loadRunDirectory } from './load-run-directory.js';
import { renderHtmlReport } from './render-html.js';
import { renderMarkdownReport } from './render-markdown.js';

export interface RunReportOptions {
  /** Where to write report.html and report.md; default the run directory. */
  outDir?: string;
  title?: string;
  /** Default: the rule-based tagger. Pass `null` for no category breakdown. */
  tagger?: CategoryTagger | null;
  lengthUnit?: LengthUnit;
  /** Prices for the cost column, keyed by judge name, `provider:model` or model id (USD per 1M tokens). */
  pricing?: PriceTable;
  /** Bootstrap resamples (default 2000). */
  resamples?: number;
  seed?: number | string;
  /** Header timestamp; default now. */
  generatedAt?: string;
  signal?: AbortSignal;
}

export interface RunReport {
  files: string[];
  markdown: string;
  analysis: RunAnalysis;
}

export async function writeRunReport(runDir: string, options: RunReportOptions = {}): Promise<RunReport> {
  const run = await loadRunDirectory(runDir);
  const tagger = options.tagger === undefined ? ruleBasedCategoryTagger() : options.tagger;
  const categories = tagger ? await tagger.tag(run.items.items, options.signal) : undefined;
  const analysis = analyzeRun(run, {
    bootstrap: { resamples: options.resamples ?? 2000, seed: options.seed ?? 20240601 },
    lengthUnit: options.lengthUnit ?? 'words',
    ...(categories ? { categories, categoryOrder: tagger?.categories ?? [] } : {}),
    ...(options.pricing ? { pricing: options.pricing } : {}),
  });
  const title = options.title ?? `judgekit report: ${runDir.split(/[\\/]/).filter(Boolean).pop() ?? runDir}`;
  const outDir = options.outDir ?? runDir;
  await mkdir(outDir, { recursive: true });
  const htmlPath = join(outDir, RUN_FILES.report);
  const markdownPath = join(outDir, RUN_FILES.reportMarkdown);
  const markdown = renderMarkdownReport(analysis, title);
  await writeFileAtomic(htmlPath, renderHtmlReport(run, analysis, { title, ...(categories ? { categories } : {}), generatedAt: options.generatedAt ?? new Date().toISOString() }));
  await writeFileAtomic(markdownPath, markdown);
  return { files: [htmlPath, markdownPath], markdown, analysis };
}

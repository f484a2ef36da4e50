// Reads a run directory, analyses it and writes report.html and report.md next to it (or into `outDir`).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  analyzeRun,
  compareRuns,
  HAND_LABELLED_INSTRUCTIONS,
  measureTaggerAccuracy,
  RUN_FILES,
  ruleBasedCategoryTagger,
  writeFileAtomic,
  type CategoryTagger,
  type PriceTable,
  type LengthUnit,
  type RunAnalysis,
  type TaggerAccuracy,
} from '@judgekit/core';
import { loadRunDirectory } from './load-run-directory.js';
import type { ReportComparison } from './compare-section.js';
import { renderHtmlReport } from './render-html.js';
import { renderMarkdownReport } from './render-markdown.js';
import { loadCalibrationFile, runCalibration } from './sections/calibration-section.js';

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
  /** calibration.json from `judgekit calibrate`; default the run directory's own, when there is one. */
  calibration?: string;
  /** Another run directory to set beside this one: per model score differences with CIs, and the items that changed. */
  compare?: string;
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
  // The rules cost nothing to measure; another tagger (an LLM) would spend a call per labelled item, so it is not.
  const taggerAccuracy: TaggerAccuracy | null | undefined = !tagger ? undefined : tagger.id === 'rules' ? measureTaggerAccuracy(tagger.id, await tagger.tag(HAND_LABELLED_INSTRUCTIONS.map((item, index) => ({ index, ...item })), options.signal)) : null;
  const analysis = analyzeRun(run, {
    bootstrap: { resamples: options.resamples ?? 2000, seed: options.seed ?? 20240601 },
    lengthUnit: options.lengthUnit ?? 'words',
    ...(categories ? { categories, categoryOrder: tagger?.categories ?? [] } : {}),
    ...(options.pricing ? { pricing: options.pricing } : {}),
  });
  analysis.warnings.push(...(run.ratingProblems ?? []));
  // Each judge's calibration on answers of known quality, beside its scores (and the accuracy-weighted panel).
  const calibrationFile = options.calibration ? await loadCalibrationFile(options.calibration) : await loadCalibrationFile(join(runDir, 'calibration.json'), true);
  const calibration = calibrationFile ? runCalibration(run, analysis, calibrationFile, { resamples: options.resamples ?? 2000, seed: options.seed ?? 20240601 }) : undefined;
  const comparison: ReportComparison | undefined = options.compare
    ? { a: runDir, b: options.compare, comparison: compareRuns(run, await loadRunDirectory(options.compare), { bootstrap: { resamples: options.resamples ?? 2000, seed: options.seed ?? 20240601 } }) }
    : undefined;
  const title = options.title ?? `judgekit report: ${runDir.split(/[\\/]/).filter(Boolean).pop() ?? runDir}`;
  const outDir = options.outDir ?? runDir;
  await mkdir(outDir, { recursive: true });
  const htmlPath = join(outDir, RUN_FILES.report);
  const markdownPath = join(outDir, RUN_FILES.reportMarkdown);
  const markdown = renderMarkdownReport(analysis, title, { ...(calibration ? { calibration } : {}), ...(taggerAccuracy !== undefined ? { taggerAccuracy } : {}), ...(comparison ? { comparison } : {}) });
  await writeFileAtomic(htmlPath, renderHtmlReport(run, analysis, { title, ...(categories ? { categories } : {}), generatedAt: options.generatedAt ?? new Date().toISOString(), ...(taggerAccuracy !== undefined ? { taggerAccuracy } : {}), ...(comparison ? { comparison } : {}), ...(calibration ? { calibration } : {}) }));
  await writeFileAtomic(markdownPath, markdown);
  return { files: [htmlPath, markdownPath], markdown, analysis };
}

// @judgekit/report: judge reliability and bias statistics rendered as a self-contained HTML report and a
// Markdown summary. The statistics themselves live in @judgekit/core (analysis/).
export * from './escape-html.js';
export * from './format-number.js';
export * from './svg-charts.js';
export * from './load-run-directory.js';
export * from './load-run-extras.js';
export * from './item-browser.js';
export * from './run-info-section.js';
export * from './compare-section.js';
export * from './render-html.js';
export * from './render-markdown.js';
export * from './run-report.js';
export * from './html-reporter.js';
export * from './llm-category-tagger.js';
export * from './rating/rating-page.js';
export * from './rating/rating-server.js';
export * from './sections/human-agreement-section.js';
export * from './sections/calibration-section.js';
// The plugin loader (`assembleContainer({ plugins: ['@judgekit/report'] })`) takes the default export.
export { default, default as reportModule } from './report-module.js';

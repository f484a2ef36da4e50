// @judgekit/datasets: Alpaca instruction datasets (JSON/JSONL, local or downloaded and cached, SHA-256 pinned),
// the book dataset's source, and the project's own tiny instruction set and corpus. The default export is the DI
// module, so `plugins: ['@judgekit/datasets']` loads it.
export { default } from './datasets-module.js';
export * from './alpaca-text.js';
export * from './url-cache.js';
export * from './alpaca-dataset-loader.js';
export * from './book-dataset.js';
export * from './tiny-facts.js';
export * from './tiny-tasks.js';
export * from './tiny-corpus.js';

// Judging protocol: prompts and reply parsers, slot orders, retries, the call runner (cache, concurrency),
// the run writer (judgments, results, run.json), aggregation and the price table.
export * from './text-fence.js';
export * from './single-judge-prompt.js';
export * from './batched-judge-prompt.js';
export * from './pairwise-judge-prompt.js';
export * from './json-in-text.js';
export * from './judge-prompt-reader.js';
export * from './balanced-order.js';
export * from './score-aggregate.js';
export * from './rouge-l.js';
export * from './retry-policy.js';
export * from './price-table.js';
export * from './judge-call-runner.js';
export * from './rate-limiter.js';
export * from './judge-results.js';
export * from './judge-runner.js';
export * from './auto-repeats.js';
export * from './spend-log.js';
export * from './ask-judge-model.js';
export * from './batch-execution.js';

// @judgekit/core: contracts (tokens and interfaces), the pipeline, the run store and pure logic.
// It never imports a backend, a judge, a vendor SDK or a native module.
export * from './errors.js';
export * from './contracts/records.js';
export * from './contracts/chat-model-provider.js';
export * from './contracts/judge.js';
export * from './contracts/instruction-dataset.js';
export * from './contracts/model-backend.js';
export * from './contracts/metric.js';
export * from './contracts/reporter.js';
export * from './run/jsonl-log.js';
export * from './run/disk-cache.js';
export * from './util/canonical-hash.js';
export * from './util/seeded-random.js';
export * from './util/concurrency.js';
export * from './util/progress.js';
export * from './util/atomic-write.js';
export * from './analysis/bootstrap.js';
export * from './pipeline/pipeline.js';
export * from './config/plugin-loader.js';
export * from './config/study-config.js';
export * from './run/run-directory.js';

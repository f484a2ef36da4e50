// @judgekit/queue: work units on BullMQ + Redis (see docs/scale.md).
export * from './connection.js';
export * from './judge-units.js';
export * from './coordinator.js';
export * from './worker.js';
export * from './status.js';
export * from './unit-spend.js';
export * from './shared-files.js';
export * from './model-units.js';
export * from './loss-units.js';
export * from './generate-units.js';
export * from './finetune-units.js';

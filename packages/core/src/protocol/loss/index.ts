// Test-loss protocol: token sources and the window plan, batching and aggregation over a LikelihoodModel.
export * from './token-source.js';
export * from './test-loss.js';
export * from './loss-protocol.js';

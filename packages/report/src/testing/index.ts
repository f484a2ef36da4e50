// @judgekit/report/testing: a simulated judge with planted effects, and helpers that write run directories
// with it, for tests, examples and benchmarks. Never a default judge.
export * from './judge-simulator.js';
export * from './simulated-run.js';
export * from './planted-answers.js';

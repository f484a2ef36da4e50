// @judgekit/backends/generation: the study's answer generation (greedy, 256 new tokens, 1024-token window) with
// batched KV-cached decoding, sampling, and resumable `{name}-ift-test-results.json` files.
export * from './decoder-session.js';
export * from './answer-text.js';
export * from './token-sampler.js';
export * from './batched-generation.js';
export * from './reference-generation.js';
export * from './session-generative-model.js';
export * from './generate-answers.js';
export * from './open-generative-model.js';

// @judgekit/backends/generation: the study's answer generation (greedy, 256 new tokens, 1024-token window) with
// batched KV-cached decoding, sampling, and resumable `{name}-ift-test-results.json` files.
export * from './decoder-session.js';
export * from './token-sampler.js';
export * from './batched-generation.js';
export * from './reference-generation.js';
export * from './session-generative-model.js';
export * from './open-generative-model.js';
// The study's answer generation (files, resume, batching, answer extraction) moved to @judgekit/core; re-exported so
// existing imports from this entry keep working.
export {
  answerFileName,
  DEFAULT_RESPONSE_HEADER,
  extractAnswerText,
  generateAnswers,
  pythonStrip,
  type GenerateAnswersOptions,
  type GenerateAnswersResult,
  type GenerationLogEntry,
} from '@judgekit/core';

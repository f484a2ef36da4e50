// The study's protocol, shared by every backend and judge: test-loss windows and token sources, batched answer
// generation with the study's answer extraction, and the judge runner with its prompts and reply parsers.
export * from './loss/index.js';
export * from './generation/index.js';
export * from './judging/index.js';

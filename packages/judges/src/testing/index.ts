// @judgekit/judges/testing: a scriptable local server speaking the OpenAI and Anthropic wire formats, and
// helpers that read the judge prompts it receives (from @judgekit/core, next to the prompts), for tests,
// benchmarks and judge simulators.
export * from './fake-llm-server.js';
export * from './fake-batch-server.js';
export * from './rate-limited-script.js';
export { batchedPromptAnswers, batchedReplyFor, fencedBlocks, singlePromptAnswer } from '@judgekit/core';

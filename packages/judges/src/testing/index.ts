// @judgekit/judges/testing: a scriptable local server speaking the OpenAI and Anthropic wire formats, and
// helpers that read the judge prompts it receives, for tests, benchmarks and judge simulators.
export * from './fake-llm-server.js';
export * from './judge-prompt-reader.js';

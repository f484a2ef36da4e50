// @judgekit/judges: LLM judges (single, batched comparative, reference) and the OpenAI and Anthropic
// providers. The default export is the DI module; the vendor SDKs load only when a provider makes a call.
export { default } from './judges-module.js';
export * from './single-judge-prompt.js';
export * from './batched-judge-prompt.js';
export * from './text-fence.js';
export * from './balanced-order.js';
export * from './score-aggregate.js';
export * from './rouge-l.js';
export * from './retry-policy.js';
export * from './price-table.js';
export * from './judge-call-runner.js';
export * from './judge-factory.js';
export * from './single-judge.js';
export * from './batched-judge.js';
export * from './reference-judge.js';
export * from './judge-results.js';
export * from './judge-runner.js';
export * from './providers/openai-provider.js';
export * from './providers/anthropic-provider.js';
export { chatErrorFromSdk, retryAfterFromError } from './providers/sdk-error.js';

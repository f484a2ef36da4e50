// Test helpers: tiny seeded checkpoints and the reference forward pass. Exported as `@judgekit/backends/testing`.
export { createTinyGpt2, type TinyGpt2, type TinyGpt2Options } from './create-tiny-gpt2.js';
export { referenceLogits, referenceNll, geluTanh } from '../reference/reference-forward.js';

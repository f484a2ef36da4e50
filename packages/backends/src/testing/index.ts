// Test helpers: tiny seeded GPT-2 checkpoints and its reference forward pass (`@judgekit/backends/testing`).
export { createTinyGpt2, type TinyGpt2, type TinyGpt2Options } from '../architectures/gpt2/create-tiny-gpt2.js';
export { createTinyLlama, TINY_LLAMA_SPECIAL, type TinyLlama, type TinyLlamaOptions } from '../architectures/llama/create-tiny-llama.js';
export { referenceLogits, referenceNll, geluTanh } from '../architectures/gpt2/gpt2-reference-forward.js';

// @judgekit/backends/tokenizer: the GPT-2 BPE tokenizer (r50k_base, with `<|endoftext|>` as its end-of-text id).
export * from '../architectures/gpt2/gpt2-tokenizer.js';

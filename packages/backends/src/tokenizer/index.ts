// @judgekit/backends/tokenizer: the GPT-2 BPE tokenizer (r50k_base, `<|endoftext|>` = 50256).
export * from './gpt2-tokenizer.js';

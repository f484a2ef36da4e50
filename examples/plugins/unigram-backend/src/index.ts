// judgekit-plugin-unigram: a backend plugin. The default export is the plugin (a ContainerModule); list the
// package under "plugins" in a study config and give a model `"backend": "unigram"` and a unigram checkpoint.
export { default } from './unigram-backend-module.js';
export * from './unigram-backend.js';
export * from './gpt2-tokenizer.js';

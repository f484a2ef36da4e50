// judgekit-plugin-words: a dataset plugin. The default export is the plugin (a ContainerModule); list the package
// under "plugins" in a study config and select it with `"dataset": { "kind": "words", "location": "words:40" }`.
export { default } from './words-dataset-module.js';
export * from './words-dataset.js';

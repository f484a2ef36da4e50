// judgekit-plugin-rubric: a judge plugin. The default export is the plugin (a ContainerModule); list the package
// under "plugins" in a study config and add a judge `{ "mode": "rubric", "judge": "openai:gpt-4o-mini",
// "options": { "criteria": ["..."] } }`.
export { default } from './rubric-judge-module.js';
export * from './rubric-judge.js';
export * from './rubric-prompt.js';

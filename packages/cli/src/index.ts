export { main } from './main.js';
export * from './cli-command.js';
export { commandLoaders } from './commands/index.js';
export { rerunWithHugePages, runCli, stopWithParent } from './huge-pages.js';
export { runEnvironment } from './run-environment.js';

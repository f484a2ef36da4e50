export { main } from './main.js';
export * from './cli-command.js';
export { commandLoaders } from './commands/index.js';
export { isDelegatingToChild, rerunWithHugePages, runCli, stopWithParent } from './huge-pages.js';
export { stopOnSignals, type StopOnSignalsOptions } from './signals.js';
export { runEnvironment } from './run-environment.js';

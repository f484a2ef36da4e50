export { main } from './main.js';
export * from './cli-command.js';
export { commandLoaders } from './commands/index.js';

// Every `judgekit` command, loaded lazily so `judgekit judge` never loads ONNX Runtime.
import type { CliCommand } from '../cli-command.js';

export const commandLoaders: Record<string, () => Promise<CliCommand>> = {
  judge: async () => (await import('./judge.js')).command,
  generate: async () => (await import('./generate.js')).command,
  loss: async () => (await import('./loss.js')).command,
  convert: async () => (await import('./convert.js')).command,
  report: async () => (await import('./report.js')).command,
  rate: async () => (await import('./rate.js')).command,
  run: async () => (await import('./run.js')).command,
  finetune: async () => (await import('./finetune.js')).command,
  plugins: async () => (await import('./plugins.js')).command,
  schema: async () => (await import('./schema.js')).command,
  new: async () => (await import('./new.js')).command,
  batches: async () => (await import('./batches.js')).command,
  worker: async () => (await import('./worker.js')).command,
  queue: async () => (await import('./queue.js')).command,
  calibrate: async () => (await import('./calibrate.js')).command,
};

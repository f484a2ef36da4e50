// Every `judgekit` command, loaded lazily so `judgekit judge` never loads ONNX Runtime.
import type { CliCommand } from '../cli-command.js';

export const commandLoaders: Record<string, () => Promise<CliCommand>> = {
};

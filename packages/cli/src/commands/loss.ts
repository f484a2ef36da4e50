// `judgekit loss <model> <data>`: test loss under a stated protocol (the study's non-overlapping windows by
// default, or strided windows with --stride).
import { resolve } from 'node:path';
import { formatLoss, JudgekitError, Progress, resolveTestLossSettings, TEST_LOSS_DEFAULTS, type TestLossSettings } from '@judgekit/core';
import { integerOption, stringOption, type CliCommand, type ParsedArgs } from '../cli-command.js';

const FORMATS = ['text', 'jsonl', 'bin', 'safetensors'] as const;

export const command: CliCommand = {
  name: 'loss',
  summary: 'Test loss (mean cross-entropy) of a GPT-2 model on held-out tokens, with the protocol reported',
  usage: 'judgekit loss <model.safetensors|model.onnx> <data.txt|.jsonl|.bin|.safetensors> [options]',
  options: {
    config: { type: 'string', value: '<file>', description: 'Model config JSON (book GPTModel or Hugging Face); default: <name>.json or config.json beside the checkpoint' },
    'context-length': { type: 'string', value: '<n>', description: `Window length (default: the study's ${TEST_LOSS_DEFAULTS.contextLength}, or the model's context length if shorter)` },
    'batch-size': { type: 'string', value: '<n>', description: "Windows per batch (the study's)", default: String(TEST_LOSS_DEFAULTS.batchSize) },
    stride: { type: 'string', value: '<n>', description: 'Distance between window starts; less than the context length gives the strided (sliding-window) protocol (default: context length)' },
    'start-token': { type: 'string', value: '<n>', description: 'Token index where evaluation starts (the study: 50000000)', default: String(TEST_LOSS_DEFAULTS.startToken) },
    batches: { type: 'string', value: '<n>', description: 'Stop after this many batches (the study: 3200; default: all the data)' },
    format: { type: 'string', value: '<fmt>', description: `Data format: ${FORMATS.join(', ')} (default: from the extension)` },
    device: { type: 'string', value: '<name>', description: 'auto, cpu, cuda or webgpu', default: 'auto' },
    threads: { type: 'string', value: '<n>', description: 'CPU threads for ONNX Runtime (default: all cores)' },
    json: { type: 'boolean', description: 'Print one JSON object (loss, tokens, protocol, ...)' },
  },
  async run(args, io) {
    const [modelArg, dataArg, ...extra] = args.positionals;
    if (!modelArg || !dataArg || extra.length > 0) {
      throw new JudgekitError('usage', `expected <model> and <data>. Usage: ${command.usage}`);
    }
    const modelPath = resolve(io.cwd, modelArg);
    const dataPath = resolve(io.cwd, dataArg);
    const format = stringOption(args, 'format');
    if (format !== undefined && !(FORMATS as readonly string[]).includes(format)) {
      throw new JudgekitError('usage', `--format must be one of ${FORMATS.join(', ')}, got "${format}".`);
    }
    const { parseDevice, createGpt2LikelihoodModel, gpt2TextTokenizer, openTokenSource, computeTestLoss } = await import('@judgekit/backends');
    const device = parseDevice(stringOption(args, 'device') ?? 'auto');
    const threads = integerOption(args, 'threads', undefined, 1);
    lossCommandSettings(args); // the flags are checked before anything is loaded
    const configOption = stringOption(args, 'config');
    const configPath = configOption === undefined ? undefined : resolve(io.cwd, configOption);
    const source = await openTokenSource(dataPath, { ...(format ? { format: format as (typeof FORMATS)[number] } : {}), tokenizer: gpt2TextTokenizer });
    const model = await createGpt2LikelihoodModel(modelPath, { device, ...(threads ? { threads } : {}), ...(configPath ? { configPath } : {}) });
    const { contextLength, batchSize, stride, startToken, batches } = lossCommandSettings(args, model.contextLength);
    let progress: Progress | undefined;
    try {
      const result = await computeTestLoss(model, source, {
        contextLength,
        batchSize,
        stride,
        startToken,
        ...(batches !== undefined ? { batches } : {}),
        onBatch: (done, total) => {
          progress ??= new Progress({ label: 'loss', total, unit: 'batches', stream: io.stderr as NodeJS.WriteStream });
          progress.tick();
        },
      });
      progress?.finish();
      const summary = { model: modelPath, data: dataPath, device: model.device, ...result };
      if (args.values.json) {
        io.stdout.write(`${JSON.stringify(summary)}\n`);
      } else {
        const p = result.protocol;
        io.stdout.write(
          `loss ${formatLoss(result)}\n` +
            `protocol: ${p.kind} windows of ${p.contextLength} tokens, stride ${p.stride}, ${p.batchSize} per batch, start token ${p.startToken}, ${p.lastWindow}, ${result.batches} batches, ${result.tokens} scored tokens; perplexity ${result.perplexity.toFixed(2)}\n` +
            `tokens: ${p.tokens}\n` +
            `device ${model.device}, ${result.seconds.toFixed(1)} s (${Math.round(result.tokens / Math.max(result.seconds, 1e-9))} tokens/s)\n`,
        );
      }
      return 0;
    } finally {
      await model.dispose();
      await source.close();
    }
  },
};

/**
 * The protocol `judgekit loss` runs: the flags given, the rest from `TEST_LOSS_DEFAULTS` (the library's and the
 * study config's defaults too); `modelContextLength` caps the default window.
 */
export function lossCommandSettings(args: ParsedArgs, modelContextLength?: number): TestLossSettings {
  return resolveTestLossSettings(
    {
      contextLength: integerOption(args, 'context-length', undefined, 1),
      batchSize: integerOption(args, 'batch-size', undefined, 1),
      stride: integerOption(args, 'stride', undefined, 1),
      startToken: integerOption(args, 'start-token', undefined, 0),
      batches: integerOption(args, 'batches', undefined, 1),
    },
    modelContextLength,
  );
}

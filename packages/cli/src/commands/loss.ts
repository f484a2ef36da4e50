// `judgekit loss <model> <data>`: test loss under a stated protocol (the study's non-overlapping windows by
// default, or strided windows with --stride).
import { resolve } from 'node:path';
import { formatLoss, JudgekitError, Progress, resolveTestLossSettings, TEST_LOSS_DEFAULTS, type TestLossResult, type TestLossSettings } from '@judgekit/core';
import { integerOption, stringOption, type CliCommand, type CliIo, type ParsedArgs } from '../cli-command.js';

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
    queue: { type: 'string', value: '<redis://host:port>', description: 'Be a coordinator: cut the batches into units for `judgekit worker` processes on this Redis (see docs/scale.md)' },
    'unit-batches': { type: 'string', value: '<n>', description: 'With --queue: batches per unit', default: '4' },
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
    const { parseDevice, createGpt2LikelihoodModel, openTokenSource, computeTestLoss } = await import('@judgekit/backends');
    const device = parseDevice(stringOption(args, 'device') ?? 'auto');
    const threads = integerOption(args, 'threads', undefined, 1);
    lossCommandSettings(args); // the flags are checked before anything is loaded
    const configOption = stringOption(args, 'config');
    const configPath = configOption === undefined ? undefined : resolve(io.cwd, configOption);
    const queueUrl = stringOption(args, 'queue');
    if (queueUrl) {
      // A coordinator: workers load the model and the data by path; this process only adds their batches up.
      const unitBatches = integerOption(args, 'unit-batches', 4, 1) as number;
      const { runLossOnQueue } = await import('../queue-loss.js');
      const result = await runLossOnQueue({
        url: queueUrl,
        modelPath,
        ...(configPath ? { configPath } : {}),
        dataPath,
        ...(format ? { format } : {}),
        settings: {
          contextLength: integerOption(args, 'context-length', undefined, 1),
          batchSize: integerOption(args, 'batch-size', undefined, 1),
          stride: integerOption(args, 'stride', undefined, 1),
          startToken: integerOption(args, 'start-token', undefined, 0),
          batches: integerOption(args, 'batches', undefined, 1),
        },
        device: stringOption(args, 'device') ?? 'auto',
        ...(threads ? { threads } : {}),
        unitBatches,
      }, io);
      const { device: workersDevice, ...loss } = result;
      printLoss(io, { model: modelPath, data: dataPath, device: workersDevice, ...loss }, args.values.json === true);
      return 0;
    }
    // The model's own tokenizer (GPT-2's r50k_base, or the tokenizer.json beside a Llama checkpoint) reads text data.
    const model = await createGpt2LikelihoodModel(modelPath, { device, ...(threads ? { threads } : {}), ...(configPath ? { configPath } : {}) });
    const source = await openTokenSource(dataPath, { ...(format ? { format: format as (typeof FORMATS)[number] } : {}), tokenizer: model.tokenizer }).catch(async (error: unknown) => {
      await model.dispose();
      throw error;
    });
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
      printLoss(io, { model: modelPath, data: dataPath, device: model.device, ...result }, args.values.json === true);
      return 0;
    } finally {
      await model.dispose();
      await source.close();
    }
  },
};

/** The result as JSON or as text (the same for an in-process run and a coordinator). */
function printLoss(io: CliIo, summary: TestLossResult & { model: string; data: string; device: string }, json: boolean): void {
  if (json) {
    io.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  const p = summary.protocol;
  io.stdout.write(
    `loss ${formatLoss(summary)}\n` +
      `protocol: ${p.kind} windows of ${p.contextLength} tokens, stride ${p.stride}, ${p.batchSize} per batch, start token ${p.startToken}, ${p.lastWindow}, ${summary.batches} batches, ${summary.tokens} scored tokens; perplexity ${summary.perplexity.toFixed(2)}\n` +
      `tokens: ${p.tokens}\n` +
      `device ${summary.device}, ${summary.seconds.toFixed(1)} s (${Math.round(summary.tokens / Math.max(summary.seconds, 1e-9))} tokens/s)\n`,
  );
}

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

// `judgekit finetune <checkpoint> --dataset <alpaca json|url> --out <dir>`: instruction fine-tuning with the study's
// recipe (the book's batches and AdamW, early stopping on validation loss) or a fixed number of epochs.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DEVICE_NAMES, DEVICES, JudgekitError, type Device, type StudyConfig } from '@judgekit/core';
import { integerOption, stringOption, type CliCommand, type ParsedArgs } from '../cli-command.js';
import { FORCE_LOCK_OPTION, lockRunDirectory } from '../run-dir-lock.js';

/** The finetune settings a `--config` JSON may hold: the study config's `finetune` section. */
type FinetuneConfigFile = NonNullable<StudyConfig['finetune']>;

const CONFIG_KEYS: Record<keyof FinetuneConfigFile, 'integer' | 'number' | 'boolean'> = {
  epochs: 'integer',
  maxEpochs: 'integer',
  learningRate: 'number',
  weightDecay: 'number',
  batchSize: 'integer',
  gradientAccumulation: 'integer',
  maskPrompt: 'boolean',
  maxLength: 'integer',
  seed: 'integer',
};

async function readConfigFile(path: string): Promise<FinetuneConfigFile> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new JudgekitError('config', `Cannot read the fine-tuning config ${path}: ${(error as Error).message}`, { file: path, cause: error });
  }
  const record = (typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined) as Record<string, unknown> | undefined;
  // Accept either the settings themselves or a whole study config with a `finetune` section.
  const settings = (record && typeof record.finetune === 'object' && record.finetune !== null ? record.finetune : record) as Record<string, unknown> | undefined;
  if (!settings) throw new JudgekitError('config', `${path} must hold a JSON object of fine-tuning settings (${Object.keys(CONFIG_KEYS).join(', ')}).`, { file: path });
  for (const [key, raw] of Object.entries(settings)) {
    const kind = CONFIG_KEYS[key as keyof FinetuneConfigFile];
    if (!kind) throw new JudgekitError('config', `${path}: unknown setting "${key}". Known: ${Object.keys(CONFIG_KEYS).join(', ')}.`, { file: path, location: key });
    const ok = kind === 'boolean' ? typeof raw === 'boolean' : typeof raw === 'number' && Number.isFinite(raw) && (kind === 'number' || Number.isInteger(raw));
    if (!ok) throw new JudgekitError('config', `${path}: "${key}" must be ${kind === 'boolean' ? 'true or false' : `a${kind === 'integer' ? 'n integer' : ' number'}`}, got ${JSON.stringify(raw)}.`, { file: path, location: key });
  }
  return settings as FinetuneConfigFile;
}

function numberOption(args: ParsedArgs, name: string): number | undefined {
  const raw = stringOption(args, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new JudgekitError('usage', `--${name} must be a non-negative number, got "${raw}".`);
  return value;
}

/** `finetune`'s options as a queue unit's (the records go by file, the callbacks stay here). */
function queuedFinetune(options: import('@judgekit/backends').FinetuneOptions, device: string): import('../queue-finetune.js').QueueFinetuneOptions {
  return {
    checkpoint: options.checkpoint,
    ...(options.configPath ? { configPath: options.configPath } : {}),
    records: options.records,
    outDir: options.outDir,
    ...(options.name !== undefined ? { name: options.name } : {}),
    recipe: (options.recipe ?? {}) as Record<string, unknown>,
    ...(options.template !== undefined ? { template: options.template } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    device,
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    ...(options.checkMemory === false ? { checkMemory: false } : {}),
    fresh: options.resume === false,
  };
}

export const command: CliCommand = {
  name: 'finetune',
  summary: "Instruction fine-tune a GPT-2 checkpoint with the study's recipe (AdamW, early stopping on validation loss)",
  usage: 'judgekit finetune <model.safetensors> --dataset <alpaca.json|url> --out <run dir> [options]',
  options: {
    dataset: { type: 'string', value: '<file|url>', description: 'Alpaca records (JSON array or JSONL); split 85/10/5 into train/test/validation in file order' },
    out: { type: 'string', value: '<dir>', description: 'Run directory; writes finetune/<name>/{model.safetensors,config.json,epochs.jsonl,result.json}, and resume.safetensors until the run finishes' },
    config: { type: 'string', value: '<file>', description: 'JSON fine-tuning settings (epochs, maxEpochs, learningRate, weightDecay, batchSize, gradientAccumulation, maskPrompt, maxLength, seed), or a study config with a `finetune` section; flags override it' },
    'model-config': { type: 'string', value: '<file>', description: 'Model config JSON (default: <name>.json or config.json beside the checkpoint)' },
    name: { type: 'string', value: '<name>', description: "Model name for the output folder (default: the checkpoint's file name)" },
    epochs: { type: 'string', value: '<n>', description: 'Train exactly n epochs (the book: 2), no early stopping' },
    'max-epochs': { type: 'string', value: '<n>', description: 'Early stopping: stop when validation loss rises, keep the previous epoch (default: up to 100)' },
    lr: { type: 'string', value: '<x>', description: 'AdamW learning rate (default: 5e-5)' },
    'weight-decay': { type: 'string', value: '<x>', description: 'AdamW weight decay, on every parameter (default: 0.1)' },
    'batch-size': { type: 'string', value: '<n>', description: 'Examples per micro-batch (default: 8)' },
    'grad-accum': { type: 'string', value: '<k>', description: 'Micro-batches per optimizer step (default: 1)' },
    'mask-prompt': { type: 'boolean', description: 'Ignore the loss on prompt tokens (the book does not)' },
    'max-length': { type: 'string', value: '<n>', description: "Truncate examples to n tokens (default: the model's context length)" },
    template: { type: 'string', value: '<name>', description: 'Prompt template: book or study', default: 'book' },
    seed: { type: 'string', value: '<n>', description: 'Seed for the per-epoch shuffle (default: 123)' },
    limit: { type: 'string', value: '<n>', description: 'Use only the first n training and n validation examples (quick runs)' },
    device: { type: 'string', value: '<name>', description: 'cpu, cuda or webgpu', default: 'cpu' },
    threads: { type: 'string', value: '<n>', description: 'CPU threads for ONNX Runtime (default: all cores)' },
    fresh: { type: 'boolean', description: 'Ignore a resume state in the output folder and start over' },
    'skip-memory-check': { type: 'boolean', description: 'Start even when the estimated memory (logged first) is more than the machine has available' },
    quiet: { type: 'boolean', short: 'q', description: 'Print only the final summary' },
    json: { type: 'boolean', description: 'Print the result as one JSON object' },
    'force-lock': FORCE_LOCK_OPTION,
    queue: { type: 'string', value: '<redis://host:port>', description: 'Be a coordinator: a `judgekit worker` on this Redis fine-tunes the model into --out (shared storage), resuming if it is redelivered (see docs/scale.md)' },
  },
  async run(args, io) {
    // Flags that a --config file can also set have no parseArgs default, so the file's value is not masked.
    const [checkpointArg, ...extra] = args.positionals;
    const datasetArg = stringOption(args, 'dataset');
    const outArg = stringOption(args, 'out');
    if (!checkpointArg || extra.length > 0 || !datasetArg || !outArg) {
      throw new JudgekitError('usage', `expected <checkpoint>, --dataset and --out. Usage: ${command.usage}`);
    }
    const at = (path: string): string => resolve(io.cwd, path);
    const file = stringOption(args, 'config') ? await readConfigFile(at(stringOption(args, 'config') as string)) : {};
    const epochs = integerOption(args, 'epochs', file.epochs, 1);
    const maxEpochs = integerOption(args, 'max-epochs', file.maxEpochs, 1);
    if (stringOption(args, 'epochs') !== undefined && stringOption(args, 'max-epochs') !== undefined) {
      throw new JudgekitError('usage', 'Give either --epochs (fixed) or --max-epochs (early stopping), not both.');
    }
    const device = stringOption(args, 'device') ?? 'cpu';
    if (!Object.hasOwn(DEVICES, device)) {
      throw new JudgekitError('usage', `Unsupported device "${device}". Should be one of: ${DEVICE_NAMES.join(', ')}.`);
    }
    // The main entry's `finetune` loads the training code (and ONNX Runtime) on first call.
    const { finetune } = await import('@judgekit/backends');
    const template = stringOption(args, 'template') ?? 'book';
    const { loadAlpacaDataset, isUrl } = await import('@judgekit/datasets');
    const dataset = await loadAlpacaDataset({ location: isUrl(datasetArg) ? datasetArg : at(datasetArg) });
    const lr = numberOption(args, 'lr') ?? file.learningRate;
    const weightDecay = numberOption(args, 'weight-decay') ?? file.weightDecay;
    const threads = integerOption(args, 'threads', undefined, 1);
    const limit = integerOption(args, 'limit', undefined, 1);
    const modelConfig = stringOption(args, 'model-config');
    const name = stringOption(args, 'name');
    const quiet = Boolean(args.values.quiet) || Boolean(args.values.json);
    // One process per run directory: two trainings of one model would overwrite each other's checkpoints.
    const lock = await lockRunDirectory(at(outArg), 'finetune', args, io);
    const queueUrl = stringOption(args, 'queue');
    const run = queueUrl ? async (options: Parameters<typeof finetune>[0]) => (await import('../queue-finetune.js')).runFinetuneOnQueue(queueUrl, queuedFinetune(options, device), io, quiet) : finetune;
    const result = await run({
      checkpoint: at(checkpointArg),
      ...(modelConfig ? { configPath: at(modelConfig) } : {}),
      records: dataset.records,
      outDir: at(outArg),
      ...(name ? { name } : {}),
      template,
      device: device as Device,
      ...(threads ? { threads } : {}),
      ...(limit ? { limit } : {}),
      resume: !args.values.fresh,
      ...(args.values['skip-memory-check'] ? { checkMemory: false } : {}),
      recipe: {
        batchSize: integerOption(args, 'batch-size', file.batchSize ?? 8, 1) as number,
        gradientAccumulation: integerOption(args, 'grad-accum', file.gradientAccumulation ?? 1, 1) as number,
        maskPrompt: Boolean(args.values['mask-prompt']) || Boolean(file.maskPrompt),
        seed: integerOption(args, 'seed', file.seed ?? 123) as number,
        stopping: epochs !== undefined && stringOption(args, 'max-epochs') === undefined ? { kind: 'fixed', epochs } : { kind: 'early', maxEpochs: maxEpochs ?? 100 },
        ...(integerOption(args, 'max-length', file.maxLength, 2) !== undefined ? { maxLength: integerOption(args, 'max-length', file.maxLength, 2) as number } : {}),
        optimizer: { lr: lr ?? 5e-5, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: weightDecay ?? 0.1 },
      },
      log: quiet ? () => undefined : (line) => io.stderr.write(`${line}\n`),
      progress: quiet ? false : (io.stderr as NodeJS.WriteStream),
      ...(io.signal ? { signal: io.signal } : {}),
    }).finally(() => lock.release());
    if (args.values.json) {
      io.stdout.write(`${JSON.stringify(result)}\n`);
    } else {
      const best = result.epochs.find((e) => e.epoch === result.bestEpoch);
      io.stdout.write(
        `${result.name}: kept epoch ${result.bestEpoch} of ${result.epochs.length}${result.stoppedEarly ? ' (validation loss rose after it)' : ''}` +
          `${best ? `, validation loss ${best.validationLoss.toFixed(4)}` : ''}\n${result.modelPath}\n`,
      );
    }
    return 0;
  },
};

// `judgekit generate <model> --dataset <alpaca json|url>`: the study's answers for one model's test split,
// written as `{name}-ift-test-results.json`; resumable after an interruption.
import { stat } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import { DEVICE_NAMES, JudgekitError, parseDevice, splitDataset, weightsFingerprint, type AlpacaRecord } from '@judgekit/core';
import { integerOption, stringOption, type CliCommand, type ParsedArgs } from '../cli-command.js';
import { FORCE_LOCK_OPTION, lockRunDirectory } from '../run-dir-lock.js';

const SPLITS = ['test', 'train', 'validation', 'val', 'all'] as const;

function numberOption(args: ParsedArgs, name: string): number | undefined {
  const raw = stringOption(args, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value)) throw new JudgekitError('usage', `--${name} must be a number, got "${raw}".`);
  return value;
}

function pickSplit(records: AlpacaRecord[], split: string): AlpacaRecord[] {
  if (split === 'all') return records;
  const splits = splitDataset(records);
  if (split === 'test') return splits.test;
  if (split === 'train') return splits.train;
  return splits.validation;
}

/** Default model name: the file name without its extension (`gpt2-small.safetensors` → `gpt2-small`). */
function modelNameFromPath(path: string): string {
  return basename(path, extname(path)) || 'model';
}

export const command: CliCommand = {
  name: 'generate',
  summary: "Generate a model's answers to an Alpaca test split (greedy, 256 tokens, as the study) into {name}-ift-test-results.json",
  usage: 'judgekit generate <model.safetensors|model.onnx> --dataset <file|url> [options]',
  options: {
    dataset: { type: 'string', value: '<file|url>', description: 'Alpaca-format JSON/JSONL records (path or http(s) URL)' },
    sha256: { type: 'string', value: '<hex>', description: 'Refuse the dataset unless its SHA-256 matches' },
    split: { type: 'string', value: '<name>', description: `Which records: ${SPLITS.join(', ')} (the book's 85/10/5 split, file order)`, default: 'test' },
    out: { type: 'string', value: '<dir>', description: 'Directory for the answer file and its resume log', default: '.' },
    config: { type: 'string', value: '<config.json>', description: "Model config, when it is not beside the checkpoint (book's GPTModel JSON or HF config.json)" },
    name: { type: 'string', value: '<name>', description: 'Model name in the file name (default: the model file name without extension)' },
    template: { type: 'string', value: '<book|study>', description: 'Prompt template: book (`### Input:`) or study (`### Input`)', default: 'book' },
    'batch-size': { type: 'string', value: '<n>', description: 'Prompts per forward pass', default: '32' },
    'max-new-tokens': { type: 'string', value: '<n>', description: 'Tokens to generate at most per answer', default: '256' },
    temperature: { type: 'string', value: '<t>', description: 'Sample at this temperature (default: greedy, as the study)' },
    'top-k': { type: 'string', value: '<k>', description: 'Sample only from the k most likely tokens' },
    'top-p': { type: 'string', value: '<p>', description: 'Sample only from the smallest set of tokens reaching probability p' },
    seed: { type: 'string', value: '<n>', description: 'Seed for sampling', default: '0' },
    device: { type: 'string', value: '<device>', description: `Where to run: ${DEVICE_NAMES.join(', ')}`, default: 'auto' },
    threads: { type: 'string', value: '<n>', description: 'CPU threads for ONNX Runtime' },
    limit: { type: 'string', value: '<n>', description: 'Only the first n records of the split (for a quick look)' },
    quiet: { type: 'boolean', short: 'q', description: 'No progress line' },
    queue: { type: 'string', value: '<redis://host:port>', description: 'Be a coordinator: send the forward batches to `judgekit worker` processes on this Redis (see docs/scale.md)' },
    'force-lock': FORCE_LOCK_OPTION,
  },

  async run(args, io) {
    const [modelArg, ...extra] = args.positionals;
    if (modelArg === undefined || extra.length > 0) {
      throw new JudgekitError('usage', 'Give exactly one model file: judgekit generate <model.safetensors|model.onnx> --dataset <file|url>.');
    }
    const dataset = stringOption(args, 'dataset');
    if (dataset === undefined) throw new JudgekitError('usage', '--dataset is required: an Alpaca-format JSON file or URL.');
    const split = stringOption(args, 'split') ?? 'test';
    if (!(SPLITS as readonly string[]).includes(split)) throw new JudgekitError('usage', `--split must be one of: ${SPLITS.join(', ')}; got "${split}".`);
    const device = parseDevice(stringOption(args, 'device') ?? 'auto');
    const batchSize = integerOption(args, 'batch-size', 32, 1) as number;
    const maxNewTokens = integerOption(args, 'max-new-tokens', 256, 0) as number;
    const limit = integerOption(args, 'limit', undefined, 0);
    const threads = integerOption(args, 'threads', undefined, 1);
    const seed = integerOption(args, 'seed', 0) as number;
    const topK = integerOption(args, 'top-k', undefined, 0);
    const temperature = numberOption(args, 'temperature');
    const topP = numberOption(args, 'top-p');
    if ((topK !== undefined || topP !== undefined) && !temperature) {
      throw new JudgekitError('usage', '--top-k and --top-p apply to sampling: give --temperature too (greedy decoding ignores them).');
    }
    const modelPath = resolve(io.cwd, modelArg);
    await stat(modelPath).catch((error: unknown) => {
      throw new JudgekitError('input', `Cannot read model ${modelPath} (${(error as NodeJS.ErrnoException).code ?? 'error'}): check the path.`, { file: modelPath, cause: error });
    });
    const configArg = stringOption(args, 'config');
    const configPath = configArg === undefined ? undefined : resolve(io.cwd, configArg);
    const out = resolve(io.cwd, stringOption(args, 'out') ?? '.');
    const name = stringOption(args, 'name') ?? modelNameFromPath(modelPath);

    const { loadAlpacaDataset } = await import('@judgekit/datasets');
    const isUrl = /^https?:\/\//i.test(dataset);
    const sha256 = stringOption(args, 'sha256');
    const loaded = await loadAlpacaDataset({ location: isUrl ? dataset : resolve(io.cwd, dataset), ...(sha256 ? { sha256 } : {}) });
    let records = pickSplit(loaded.records, split);
    if (limit !== undefined) records = records.slice(0, limit);

    const { generateAnswers, openGenerativeModel } = await import('@judgekit/backends/generation');
    // One process per answer file: two would generate the same answers twice and mix their resume logs. Other
    // models' answers may be generated into the same folder at the same time.
    const lock = await lockRunDirectory(out, 'generate', args, io, `answers-${name}`);
    // --queue: the workers open the model (by path); this process tokenizes, logs and writes the answers as always.
    const queueUrl = stringOption(args, 'queue');
    const queued = queueUrl
      ? await (await import('../queue-generate.js')).openQueuedGenerativeModel({ url: queueUrl, modelPath, ...(configPath ? { configPath } : {}), device: stringOption(args, 'device') ?? 'auto', ...(threads !== undefined ? { threads } : {}), batchSize, out, name }, io).catch((error: unknown) => {
          lock.release();
          throw error;
        })
      : undefined;
    const model = queued ?? await openGenerativeModel(modelPath, {
      device,
      batchSize,
      ...(configPath ? { configPath } : {}),
      ...(threads !== undefined ? { threads } : {}),
    }).catch((error: unknown) => {
      lock.release();
      throw error;
    });
    try {
      const started = Date.now();
      const result = await generateAnswers({
        model,
        records,
        out,
        name,
        template: stringOption(args, 'template') ?? 'book',
        batchSize,
        maxNewTokens,
        // By content: answers logged from other weights (the file overwritten, a fine-tune run again) are not resumed.
        modelId: await weightsFingerprint({ path: modelPath, ...(configPath ? { configPath } : {}) }),
        notify: (message: string) => io.stderr.write(`judgekit generate: ${message}\n`),
        ...(temperature !== undefined ? { temperature, seed } : {}),
        ...(topK !== undefined ? { topK } : {}),
        ...(topP !== undefined ? { topP } : {}),
        ...(args.values.quiet ? { progress: false } : {}),
        ...(io.signal ? { signal: io.signal } : {}),
        // Every chunk is handed out at once; the workers bound how many run.
        ...(queued ? { chunksInFlight: Number.MAX_SAFE_INTEGER, progressStatus: () => queued.coordinator.status() } : {}),
      });
      if (queued) io.stderr.write(`judgekit generate: ${queued.coordinator.unitsDone}/${queued.coordinator.unitsTotal} units through the queue (${queued.coordinator.status()})\n`);
      const seconds = (Date.now() - started) / 1000;
      io.stdout.write(
        `${result.path}: ${result.answers.length} answers (${result.generated} generated in ${seconds.toFixed(1)} s` +
          `${result.resumed > 0 ? `, ${result.resumed} resumed from ${result.logPath}` : ''}) on ${model.session.device ?? device}\n`,
      );
    } finally {
      lock.release();
      await model.dispose();
    }
    return 0;
  },
};

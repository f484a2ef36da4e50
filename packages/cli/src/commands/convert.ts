// `judgekit convert <checkpoint> --out model.onnx`: write a safetensors checkpoint of any supported family (GPT-2 in
// Hugging Face or book naming, Llama in Hugging Face naming) as an ONNX graph (decoder with KV cache, last-position
// decoder, or loss graph). Weights over INLINE_LIMIT_BYTES (just under protobuf's 2 GiB limit) go to `<file>_data`
// beside it (`model.onnx_data`, optimum's and transformers.js's name), ONNX's external-data layout. A family whose
// tokenizer lives beside the checkpoint (Llama's tokenizer.json) gets those files copied beside the ONNX file.
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { JudgekitError } from '@judgekit/core';
import { stringOption, type CliCommand } from '../cli-command.js';

const KINDS = ['decoder', 'decoder-last', 'loss'] as const;

export const command: CliCommand = {
  name: 'convert',
  summary: 'Convert a safetensors checkpoint (GPT-2 in Hugging Face or book naming, Llama) to ONNX',
  usage: 'judgekit convert <model.safetensors> --out <model.onnx> [--config <c.json>] [--kind decoder|decoder-last|loss] [--external-data | --external-data-above <bytes>]',
  options: {
    out: { type: 'string', value: '<file>', description: 'Output .onnx file (weights go to <file>_data beside it when over 2 GB)' },
    config: { type: 'string', value: '<file>', description: 'Model config JSON; default: <name>.json or config.json beside the checkpoint' },
    kind: {
      type: 'string',
      value: '<kind>',
      description: 'decoder: logits [batch, seq, vocab] + KV cache; decoder-last: only the last position\'s logits (generation); loss: per-token nll from input_ids and targets',
      default: 'decoder',
    },
    'external-data': { type: 'boolean', description: 'Always write the weights to <file>_data' },
    'external-data-above': {
      type: 'string',
      value: '<bytes>',
      description: "Write the weights to <file>_data when they exceed this many bytes (default 1,900,000,000: under protobuf's 2 GiB limit)",
    },
  },
  async run(args, io) {
    const [checkpointArg, ...extra] = args.positionals;
    const outArg = stringOption(args, 'out');
    if (!checkpointArg || extra.length > 0 || !outArg) throw new JudgekitError('usage', `expected <checkpoint> and --out. Usage: ${command.usage}`);
    const checkpoint = resolve(io.cwd, checkpointArg);
    if (checkpoint.toLowerCase().endsWith('.onnx')) {
      throw new JudgekitError('usage', `${checkpointArg} is already ONNX; \`judgekit loss\` and \`judgekit generate\` take it as it is. Convert from the .safetensors checkpoint.`);
    }
    const out = resolve(io.cwd, outArg);
    const kind = stringOption(args, 'kind') ?? 'decoder';
    if (!(KINDS as readonly string[]).includes(kind)) throw new JudgekitError('usage', `--kind must be one of ${KINDS.join(', ')}, got "${kind}".`);
    const above = stringOption(args, 'external-data-above');
    const inlineLimitBytes = above === undefined ? undefined : Number(above);
    if (inlineLimitBytes !== undefined && (above!.trim() === '' || !Number.isInteger(inlineLimitBytes) || inlineLimitBytes < 0)) {
      throw new JudgekitError('usage', `--external-data-above must be a whole number of bytes, got "${above}".`);
    }
    const { architectureOfCheckpoint, copyTokenizerFiles } = await import('@judgekit/backends');
    const configOption = stringOption(args, 'config');
    const configPath = configOption === undefined ? undefined : resolve(io.cwd, configOption);
    const architecture = await architectureOfCheckpoint(checkpoint, configPath);
    const model = await architecture.loadCheckpoint(checkpoint, configPath ? { configPath } : {});
    await mkdir(dirname(out), { recursive: true });
    const files = await architecture.buildGraph(model, kind as (typeof KINDS)[number]).writeFile(out, {
      externalData: args.values['external-data'] ? true : 'auto',
      ...(inlineLimitBytes === undefined ? {} : { inlineLimitBytes }),
    });
    const tokenizerFiles = architecture.tokenizerFor && dirname(out) !== dirname(checkpoint) ? await copyTokenizerFiles(checkpoint, dirname(out)) : [];
    const c = model.config as typeof model.config & { qkvBias?: boolean; tiedHead?: boolean; nKvHeads?: number };
    const shape = [
      `${c.nLayers} layers`,
      `${c.nHeads} heads`,
      ...(c.nKvHeads !== undefined ? [`${c.nKvHeads} KV heads`] : []),
      `width ${c.embDim}`,
      `vocab ${c.vocabSize}`,
      `context ${c.contextLength}`,
      ...(c.qkvBias !== undefined ? [`qkv bias ${c.qkvBias}`] : []),
      ...(c.tiedHead !== undefined ? [`tied head ${c.tiedHead}`] : []),
    ];
    io.stdout.write(
      `wrote ${files.join(' and ')}: ${kind} graph, ${architecture.modelType} ${model.source.naming === 'hf' ? 'Hugging Face' : 'book'} checkpoint, ${shape.join(', ')}` +
        `${tokenizerFiles.length > 0 ? `; copied ${tokenizerFiles.join(', ')} beside it` : ''}\n`,
    );
    return 0;
  },
};

// `judgekit convert <checkpoint> --out model.onnx`: write a safetensors GPT-2 checkpoint as an ONNX graph
// (decoder with KV cache, last-position decoder, or loss graph). Weights over INLINE_LIMIT_BYTES (just under
// protobuf's 2 GiB limit) go to `<file>.data` beside it, ONNX's external-data layout that ONNX Runtime loads.
import { resolve } from 'node:path';
import { JudgekitError } from '@judgekit/core';
import { stringOption, type CliCommand } from '../cli-command.js';

const KINDS = ['decoder', 'decoder-last', 'loss'] as const;

export const command: CliCommand = {
  name: 'convert',
  summary: 'Convert a GPT-2 safetensors checkpoint (Hugging Face or book naming) to ONNX',
  usage: 'judgekit convert <model.safetensors> --out <model.onnx> [--config <c.json>] [--kind decoder|decoder-last|loss] [--external-data | --external-data-above <bytes>]',
  options: {
    out: { type: 'string', value: '<file>', description: 'Output .onnx file (weights go to <file>.data beside it when over 2 GB)' },
    config: { type: 'string', value: '<file>', description: 'Model config JSON; default: <name>.json or config.json beside the checkpoint' },
    kind: {
      type: 'string',
      value: '<kind>',
      description: 'decoder: logits [batch, seq, vocab] + KV cache; decoder-last: only the last position\'s logits (generation); loss: per-token nll from input_ids and targets',
      default: 'decoder',
    },
    'external-data': { type: 'boolean', description: 'Always write the weights to <file>.data' },
    'external-data-above': {
      type: 'string',
      value: '<bytes>',
      description: "Write the weights to <file>.data when they exceed this many bytes (default 1,900,000,000: under protobuf's 2 GiB limit)",
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
    const { loadGpt2Checkpoint, buildGpt2Graph } = await import('@judgekit/backends');
    const configOption = stringOption(args, 'config');
    const configPath = configOption === undefined ? undefined : resolve(io.cwd, configOption);
    const model = await loadGpt2Checkpoint(checkpoint, configPath ? { configPath } : {});
    const files = await buildGpt2Graph(model, kind as (typeof KINDS)[number]).writeFile(out, {
      externalData: args.values['external-data'] ? true : 'auto',
      ...(inlineLimitBytes === undefined ? {} : { inlineLimitBytes }),
    });
    const c = model.config;
    io.stdout.write(
      `wrote ${files.join(' and ')}: ${kind} graph, ${model.source.naming === 'hf' ? 'Hugging Face' : 'book'} checkpoint, ` +
        `${c.nLayers} layers, ${c.nHeads} heads, width ${c.embDim}, vocab ${c.vocabSize}, context ${c.contextLength}, qkv bias ${c.qkvBias}, tied head ${c.tiedHead}\n`,
    );
    return 0;
  },
};

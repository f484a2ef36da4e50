// `npm run bench -- generate [--model=124m|medium|smollm-135m]`: judgekit's batched, KV-cached greedy generation against
// transformers.js `generate` one prompt at a time, on the same model as the loss bench (GPT-2 small's shape, or with
// --model=smollm-135m the Llama shape) and the book dataset's test prompts; checks that the greedy completions are
// identical.
import { DEFAULT_GENERATION_BATCH_SIZE } from '../../packages/backends/src/generation/batched-generation.ts';
import { runCase } from './lib/bench-child.ts';
import { fmt, machineLine, writeBenchSection } from './lib/bench-doc.ts';
import { benchPrompts } from './lib/bench-prompts.ts';
import { ensureBenchModel } from './lib/bench-model.ts';
import { benchModelOption, benchSection } from './lib/bench-model-option.ts';

function option(args: string[], name: string, fallback: number): number {
  const hit = args.find((a) => a.startsWith(`--${name}=`));
  const value = hit ? Number(hit.slice(name.length + 3)) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}

interface GenRun {
  loadSeconds: number;
  seconds: number;
  cpuSeconds: number;
  completions: number[][];
  peakRssMb: number;
  sameTokens?: number;
}

export default async function generateBench(args: string[]): Promise<void> {
  // judgekit generates the whole test split (110 prompts x 256 new tokens, the study's protocol). transformers.js,
  // one prompt at a time, needs about 8 s per prompt here, so by default it generates every 5th prompt (22) and its
  // time for the split is that mean times 110: one-at-a-time generation is a sum of independent per-prompt runs.
  // --gen-peer-prompts=110 runs it on every prompt (about 15 minutes). --gen-prompts, --gen-tokens and --gen-batch
  // change the workload.
  const tokens = option(args, 'gen-tokens', 256);
  const all = await benchPrompts();
  const count = Math.min(option(args, 'gen-prompts', all.ids.length), all.ids.length);
  const peerCount = Math.min(option(args, 'gen-peer-prompts', Math.ceil(count / 5)), count);
  const batchSize = option(args, 'gen-batch', DEFAULT_GENERATION_BATCH_SIZE);
  // --peer-threads=N gives transformers.js the explicit thread count judgekit uses (default: its own settings).
  const peerThreads = args.some((a) => a.startsWith('--peer-threads=')) ? option(args, 'peer-threads', 1) : undefined;
  const log = (line: string) => console.log(`  ${line}`);
  const machine = await machineLine();
  const choice = benchModelOption(args, 'generate');
  const model = await ensureBenchModel(choice, log);
  // The prompts in the model's own tokenizer (GPT-2's ids as benchPrompts gives them, for the default model).
  const allIds = choice === '124m' ? all.ids : await model.encode(all.texts);
  const prompts = allIds.slice(0, count);
  const lengths = prompts.map((p) => p.length);
  const stride = count / peerCount;
  const peerPicks = Array.from({ length: peerCount }, (_, i) => Math.floor(i * stride));

  const ours = await runCase<GenRun>('generate-judgekit', { checkpointPath: model.checkpointPath, prompts, maxNewTokens: tokens, batchSize }, log);
  const theirs = await runCase<GenRun>(
    'generate-transformers',
    {
      root: `${model.transformersRoot}/`,
      id: model.transformersId,
      prompts: peerPicks.map((i) => prompts[i]),
      texts: peerPicks.map((i) => all.texts[i]),
      maxNewTokens: tokens,
      eos: model.endOfText,
      ...(peerThreads ? { threads: peerThreads } : {}),
    },
    log,
  );
  if (args.includes('--profile')) {
    const profile = await runCase<{ stepSeconds: number[]; runMs: number; ops: { op: string; share: number }[] }>(
      'decode-profile',
      { checkpointPath: model.checkpointPath, batch: batchSize, past: Math.max(...lengths), steps: 8, vocab: model.vocab },
      log,
    );
    console.log(`  decode steps at batch ${batchSize}: ${profile.stepSeconds.map((s) => s.toFixed(3)).join(', ')} s; ops: ${profile.ops.slice(0, 6).map((o) => `${o.op} ${fmt(100 * o.share, 0)}%`).join(', ')}`);
  }
  const ourPeerCompletions = peerPicks.map((i) => ours.completions[i] ?? []);
  const identical = ourPeerCompletions.filter((c, i) => JSON.stringify(c) === JSON.stringify(theirs.completions[i])).length;
  const firstDiff = ourPeerCompletions.map((c, i) => {
    const other = theirs.completions[i] ?? [];
    let j = 0;
    while (j < c.length && c[j] === other[j]) j++;
    return j === c.length && c.length === other.length ? -1 : j;
  });
  const generated = ours.completions.reduce((n, c) => n + c.length, 0);
  const peerGenerated = theirs.completions.reduce((n, c) => n + c.length, 0);
  const peerPerPrompt = theirs.seconds / peerCount;
  const peerSplit = peerPerPrompt * count;
  const speedup = peerSplit / ours.seconds;
  const cpuSpeedup = ((theirs.cpuSeconds / peerCount) * count) / ours.cpuSeconds;
  console.log(`  judgekit ${fmt(ours.seconds)} s for ${count} prompts; transformers.js ${fmt(theirs.seconds)} s for ${peerCount} (${fmt(peerSplit)} s for ${count}): ${fmt(speedup, 2)}x (CPU time ${fmt(cpuSpeedup, 2)}x); identical ${identical}/${peerCount}`);
  const measuredOn = peerCount === count ? `all ${count} prompts` : `${peerCount} of the ${count} prompts (every ${fmt(stride, 0)}th), its time for ${count} being ${fmt(peerPerPrompt, 2)} s per prompt x ${count}`;
  // Other shapes: also the memory workload the big bench states for every GPT-2 size (one prompt, 8 new tokens).
  const weightsGib = (model.parameters * 4) / 2 ** 30;
  const single = choice === '124m' ? undefined : await runCase<GenRun>('generate-judgekit', { checkpointPath: model.checkpointPath, prompts: [prompts[0]], maxNewTokens: 8, batchSize: 1 }, log);
  const ofWeights = (mb: number) => `${fmt(mb / 1024, 2)} GiB = ${fmt(mb / 1024 / weightsGib, 2)} x the F32 weights`;
  const memoryText =
    single === undefined
      ? ''
      : `
Against the weights (${fmt(weightsGib, 2)} GiB in F32; target below 2 x): judgekit's generation process peaks at ${ofWeights(single.peakRssMb)} for one
${prompts[0]!.length}-token prompt and 8 new tokens (the big bench's workload; load included), and at ${ofWeights(ours.peakRssMb)} for the
split above (${batchSize}-row batches, whose KV cache of ${Math.max(...lengths) + tokens} positions, ${fmt((model.kvBytesPerToken * batchSize * (Math.max(...lengths) + tokens)) / 2 ** 30, 2)} GiB, is part of it); transformers.js at ${ofWeights(theirs.peakRssMb)}.
`;
  const sameModel =
    choice === '124m'
      ? 'Same GPT-2-small-shaped random-weight model as the loss benchmark.'
      : `Same model as the loss benchmark (\`--model=${choice}\`): ${model.description}.`;
  const tokenizerSource = choice === '124m' ? "the bench builds from gpt-tokenizer's ranks" : 'the bench writes beside the checkpoint and in the transformers.js folder';
  const markdown = `
### Generation${choice === '124m' ? '' : `, ${choice} shape`} (\`npm run bench -- generate${choice === '124m' ? '' : ` --model=${choice}`}\`)

${sameModel} Prompts: ${count} test prompts of ${all.source}
(${Math.min(...lengths)}-${Math.max(...lengths)} tokens${choice === '124m' ? '' : " in the model's tokenizer"}, book template), greedy, at most **${tokens} new tokens** (the study's protocol). Random weights
almost never emit ${model.endOfText}, so every answer runs to the limit: ${generated} tokens generated by judgekit. transformers.js ran on
${measuredOn} (${peerGenerated} tokens; \`--gen-peer-prompts=${count}\` runs it on all of them).
Machine: ${machine}.

| engine | prompts run | seconds | seconds for ${count} prompts | CPU-seconds | new tokens/s | peak RSS | session load |
| --- | --- | --- | --- | --- | --- | --- | --- |
| judgekit, batched (batch ${batchSize}, left padding, slot KV cache) | ${count} | ${fmt(ours.seconds)} | ${fmt(ours.seconds)} | ${fmt(ours.cpuSeconds)} | ${fmt(generated / ours.seconds)} | ${fmt(ours.peakRssMb / 1024, 2)} GiB | ${fmt(ours.loadSeconds)} s |
| transformers.js 4.3.2 \`generate\`${choice === '124m' ? '' : ` (its ${model.peerClass})`}, one prompt at a time | ${peerCount} | ${fmt(theirs.seconds)} | ${fmt(peerSplit)}${peerCount === count ? '' : ' (projected)'} | ${fmt(theirs.cpuSeconds)} | ${fmt(peerGenerated / theirs.seconds)} | ${fmt(theirs.peakRssMb / 1024, 2)} GiB | ${fmt(theirs.loadSeconds)} s |

judgekit generates the split **${fmt(speedup, 2)}x** faster in wall-clock time (target >= 5x) and with ${fmt(cpuSpeedup, 2)}x less CPU time.
Greedy completions identical token for token: **${identical}/${peerCount}**${
    identical < peerCount ? ` (first differing position per prompt, -1 = identical: ${firstDiff.join(', ')})` : ''
  }; judgekit's come from ${batchSize}-row batches, transformers.js's from single prompts. transformers.js's tokenizer (the \`tokenizer.json\`
${tokenizerSource}) gives judgekit's ids for ${theirs.sameTokens ?? '?'}/${peerCount} prompts. Both run ONNX Runtime
(onnxruntime-node 1.30.0) on the CPU provider, judgekit with one intra-op thread per CPU stated, transformers.js ${
    peerThreads ? `with the same ${peerThreads} intra-op threads stated (\`--peer-threads=${peerThreads}\`)` : "with ONNX Runtime's default threads (what its users get; `--peer-threads=N` states N)"
  }; transformers.js loads judgekit's full-logits decoder graph with optimum's
interface (the whole KV cache in and out of every step), judgekit its slot decoder (the cache stays in buffers that each
step reads in place; only the new token's keys and values come back).
${memoryText}`;
  await writeBenchSection(benchSection('generate', choice), markdown);
  console.log(markdown);
}

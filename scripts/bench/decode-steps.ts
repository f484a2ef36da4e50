// `npm run bench -- decode-steps [--batches=32,64] [--strides=32,64,128,192,256,320] [--steps=16]`: what one decode
// step of judgekit's slot decoder costs (GPT-2 small's shape, seeded random weights, CPU) as a function of the rows
// and of the slot stride the step reads (the filled slots and the masked ones past them), and the share of a
// whole generation spent outside ONNX Runtime. Writes bench:decode-steps in docs/benchmarks.md.
import { performance } from 'node:perf_hooks';
import { createGpt2DecoderSession } from '../../packages/backends/src/engine/gpt2-decoder-session.ts';
import { openableModel } from '../../packages/backends/src/engine/model-source.ts';
import { loadOrt, sessionOptions } from '../../packages/backends/src/engine/ort-runtime.ts';
import { generateTokens } from '../../packages/backends/src/generation/batched-generation.ts';
import { benchPrompts } from './lib/bench-prompts.ts';
import { fmt, machineLine, writeBenchSection } from './lib/bench-doc.ts';
import { ensureGpt2SmallModel } from './lib/gpt2-small-model.ts';

function listOption(args: string[], name: string, fallback: number[]): number[] {
  const hit = args.find((a) => a.startsWith(`--${name}=`));
  if (!hit) return fallback;
  const values = hit.slice(name.length + 3).split(',').map(Number);
  if (values.some((v) => !Number.isInteger(v) || v < 1)) throw new Error(`--${name} takes positive integers separated by commas`);
  return values;
}

const median = (values: number[]) => values.slice().sort((a, b) => a - b)[values.length >> 1]!;

export default async function decodeSteps(args: string[]): Promise<void> {
  const batches = listOption(args, 'batches', [32, 64]);
  const strides = listOption(args, 'strides', [32, 64, 128, 192, 256, 320]);
  const [steps] = listOption(args, 'steps', [16]);
  const machine = await machineLine();
  const model = await ensureGpt2SmallModel((line) => console.log(line));
  const ort = await loadOrt();
  const source = await openableModel(model.checkpointPath, 'decoder-slots');
  const config = source.config!;
  const session = await ort.InferenceSession.create(source.model as Uint8Array, sessionOptions({ device: 'cpu' }));
  await source.cleanup();
  const H = config.nHeads;
  const D = config.embDim / H;
  const int64 = (n: number, f: (i: number) => number, dims: number[]) => new ort.Tensor('int64', BigInt64Array.from({ length: n }, (_, i) => BigInt(f(i))), dims);
  // Every case twice, forward then backward, the better median counting: drift in the machine's speed over the run
  // then does not read as a trend over the strides.
  const cases = batches.flatMap((batch) => strides.map((stride) => ({ batch, stride })));
  const measured = new Map<string, number>();
  for (const round of [0, 1]) {
    for (const { batch, stride } of round === 0 ? cases : cases.slice().reverse()) {
      // 40 filled slots (a prompt), the rest masked, as a step early in an answer sees them.
      const filled = Math.min(40, stride);
      const feeds: Record<string, unknown> = {
        input_ids: int64(batch, (i) => (i * 31) % config.vocabSize, [batch, 1]),
        position_ids: int64(batch, () => filled, [batch, 1]),
        attention_mask: int64(batch * (stride + 1), (i) => (i % (stride + 1) < filled || i % (stride + 1) === stride ? 1 : 0), [batch, stride + 1]),
      };
      for (let l = 0; l < config.nLayers; l++) {
        for (const part of ['key', 'value']) {
          const values = new Float32Array(batch * H * stride * D);
          for (let i = 0; i < values.length; i += 7) values[i] = 0.01;
          feeds[`past_key_values.${l}.${part}`] = new ort.Tensor('float32', values, [batch, H, stride, D]);
        }
      }
      const times: number[] = [];
      for (let s = 0; s < steps! + 2; s++) {
        const start = performance.now();
        await session.run(feeds as never);
        if (s >= 2) times.push(performance.now() - start);
      }
      const key = `${batch}:${stride}`;
      measured.set(key, Math.min(measured.get(key) ?? Infinity, median(times)));
      console.log(`  batch ${batch}, stride ${stride}: median ${fmt(median(times))} ms`);
    }
  }
  await session.release();

  // A real generation: 32 of the test prompts x 96 tokens, timing ONNX Runtime's runs inside the decoder's steps.
  const decoder = await createGpt2DecoderSession(model.checkpointPath, { device: 'cpu' });
  const inner = (decoder as unknown as { session: { run: (feeds: unknown) => Promise<unknown> } }).session;
  const run = inner.run.bind(inner);
  let runMs = 0;
  inner.run = async (feeds) => {
    const start = performance.now();
    try {
      return await run(feeds);
    } finally {
      runMs += performance.now() - start;
    }
  };
  const { ids } = await benchPrompts();
  // Twice: the first run also touches the cache's storage for the first time (page faults), the second reuses it.
  const runs: { totalMs: number; runMs: number }[] = [];
  for (const _ of [0, 1]) {
    runMs = 0;
    const start = performance.now();
    await generateTokens(decoder, ids.slice(0, 32), { maxNewTokens: 96, stopToken: null, batchSize: 32 });
    runs.push({ totalMs: performance.now() - start, runMs });
    console.log(`  generation 32 x 96: ${fmt(runs.at(-1)!.totalMs / 1000, 2)} s, ONNX Runtime ${fmt(runMs / 1000, 2)} s`);
  }
  await decoder.dispose();
  const [cold, warm] = runs as [{ totalMs: number; runMs: number }, { totalMs: number; runMs: number }];
  const share = (r: { totalMs: number; runMs: number }) => `${fmt(r.totalMs / 1000, 2)} s, of which ONNX Runtime's runs ${fmt(r.runMs / 1000, 2)} s (${fmt((100 * r.runMs) / r.totalMs, 0)}%)`;

  const header = `| rows | ${strides.map((s) => `${s} slots`).join(' | ')} |\n| --- | ${strides.map(() => '---').join(' | ')} |`;
  const rows = batches.map((batch) => `| ${batch} | ${strides.map((s) => `${fmt(measured.get(`${batch}:${s}`)!)} ms`).join(' | ')} |`).join('\n');
  await writeBenchSection(
    'decode-steps',
    `### One decode step (\`npm run bench -- decode-steps\`)

GPT-2 small's shape (seeded random weights, \`.bench/\`), judgekit's slot decoder graph on the CPU provider with one
intra-op thread per CPU; one token per row, 40 filled slots per row and the rest of the stride masked. Each figure is
the better of two medians of ${steps} steps (the cases run forward, then backward). Machine: ${machine}.

${header}
${rows}

A whole generation of 32 test prompts x 96 new tokens (batch 32), the first in the session: ${share(cold)}; the
same again, reusing the cache's storage: ${share(warm)}. The rest is JavaScript: the first touch of the cache's
storage (page faults, the first run only), writing each step's keys and values into their slots, the masks and
the greedy choice.`,
  );
}

// The benchmark cases, each run in its own process by bench-child.ts: `bench-cases.ts <case> <json params>`.
import { performance } from 'node:perf_hooks';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGpt2LikelihoodModel } from '../../../packages/backends/src/engine/gpt2-likelihood-model.ts';
import { createGpt2DecoderSession } from '../../../packages/backends/src/engine/gpt2-decoder-session.ts';
import { loadOrt, sessionOptions } from '../../../packages/backends/src/engine/ort-runtime.ts';
import { openableModel } from '../../../packages/backends/src/engine/model-source.ts';
import { OnnxDataType, OnnxGraphBuilder } from '../../../packages/backends/src/onnx/graph-builder.ts';
import { generateTokens } from '../../../packages/backends/src/generation/batched-generation.ts';
import { matmulFlops } from './flops.ts';
import { peakRssMb } from './peak-rss.ts';
import { splitMatmuls, type ProfileNodeEvent } from './profile-matmuls.ts';

const say = (line: string) => console.log(`LOG ${line}`);
/** CPU seconds (user + system, all threads) this process used since `since`. */
const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
};

function tokenStream(count: number, seed = 1, vocab = 50257): Int32Array {
  // Deterministic pseudo-text: ids spread over the vocabulary (GPT-2's unless the case names the model's).
  let s = seed >>> 0;
  return Int32Array.from({ length: count }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % vocab;
  });
}

/**
 * ORT's own large-MatMul rate: a graph [m, k] x [k, n] with the weight as an initializer, run under ORT's default
 * thread settings and under judgekit's (one intra-op thread per CPU); the faster counts. Only the product's first
 * element leaves the graph (a Slice): returning the whole [m, n] product would time its copy into fresh JavaScript
 * memory too, whose first-touch page faults cost this VM more than the MatMul (118 against 319 GFLOP/s for
 * [6144, 1024] x [1024, 4096] on 2026-12-06), and the loss and training graphs return no such tensor.
 */
async function matmulCeiling(m: number, k: number, n: number, runs: number): Promise<{ gflops: number; gflopPerCpuSecond: number; seconds: number[]; byThreads: { ortDefault: number; perCpu: number } }> {
  const ort = await loadOrt();
  const b = new OnnxGraphBuilder('matmul', 17);
  const a = b.input('a', OnnxDataType.FLOAT, [m, k]);
  const w = b.floatInitializer('w', [k, n], Float32Array.from({ length: k * n }, (_, i) => ((i * 2654435761) % 1000) / 1000 - 0.5));
  const corner = b.op('Slice', [b.op('MatMul', [a, w]), b.int64Constant([0, 0], 'starts'), b.int64Constant([1, 1], 'ends')]);
  b.output(corner, 'y', OnnxDataType.FLOAT, [1, 1]);
  const input = new ort.Tensor('float32', Float32Array.from({ length: m * k }, (_, i) => ((i * 40503) % 997) / 997 - 0.5), [m, k]);
  const seconds: number[] = [];
  let bestPerCpu = 0;
  const byThreads = { ortDefault: 0, perCpu: 0 };
  for (const [label, settings] of [['ortDefault', { graphOptimizationLevel: 'all' as const }], ['perCpu', sessionOptions({ device: 'cpu' })]] as const) {
    const session = await ort.InferenceSession.create(b.toBytes(), settings);
    const first = seconds.length;
    await session.run({ a: input });
    for (let r = 0; r < runs; r++) {
      const t = performance.now();
      const cpu = process.cpuUsage();
      await session.run({ a: input });
      seconds.push((performance.now() - t) / 1000);
      bestPerCpu = Math.max(bestPerCpu, matmulFlops(m, k, n) / cpuSeconds(cpu) / 1e9);
    }
    byThreads[label] = matmulFlops(m, k, n) / Math.min(...seconds.slice(first)) / 1e9;
    await session.release();
  }
  const best = Math.min(...seconds);
  return { gflops: matmulFlops(m, k, n) / best / 1e9, gflopPerCpuSecond: bestPerCpu, seconds, byThreads };
}

/** Run `work` `repeats` times; the fastest run's wall and CPU seconds, and its result. */
async function fastestOf(repeats: number, work: () => Promise<number>): Promise<{ seconds: number; cpuSeconds: number; meanNll: number; runs: number[] }> {
  let best = { seconds: Infinity, cpuSeconds: 0, meanNll: NaN };
  const runs: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t = performance.now();
    const cpu = process.cpuUsage();
    const meanNll = await work();
    const seconds = (performance.now() - t) / 1000;
    runs.push(seconds);
    if (seconds < best.seconds) best = { seconds, cpuSeconds: cpuSeconds(cpu), meanNll };
  }
  return { ...best, runs };
}

type ProfileEvent = ProfileNodeEvent;

/** The ORT profile written into `dir`: its events, and kernel time per op type from `from` (microseconds) on. */
async function readOpProfile(dir: string, from: (events: ProfileEvent[]) => number) {
  const file = (await readdir(dir)).find((f) => f.endsWith('.json'));
  if (!file) throw new Error('no ORT profile written');
  const events = JSON.parse(await readFile(join(dir, file), 'utf8')) as ProfileEvent[];
  const start = from(events);
  const byOp = new Map<string, number>();
  let total = 0;
  for (const event of events) {
    if (event.cat !== 'Node' || !event.name.endsWith('_kernel_time') || event.ts < start) continue;
    const op = event.args?.op_name ?? '?';
    byOp.set(op, (byOp.get(op) ?? 0) + event.dur);
    total += event.dur;
  }
  const ops = [...byOp.entries()].sort((a, b) => b[1] - a[1]).map(([op, us]) => ({ op, ms: us / 1000, share: us / total }));
  return { events, start, kernelMs: total / 1000, ops };
}

interface Shape {
  batch: number;
  seq: number;
}

const cases: Record<string, (params: Record<string, unknown>) => Promise<unknown>> = {
  /** The Llama benchmark model (bench-model.ts), written by a process of its own so the bench process stays small. */
  async 'write-smollm-135m'(params) {
    const { writeSmollmShape } = await import('./bench-model.ts');
    return writeSmollmShape((params as { dir: string }).dir);
  },

  /** A GPT-2 bench size's transformers.js folder (gpt2-small-model.ts), written here so the bench process never holds the weights. */
  async 'write-gpt2-peer-folder'(params) {
    const { writeGpt2PeerFolder } = await import('./gpt2-small-model.ts');
    const { checkpointPath, hfDir, size } = params as { checkpointPath: string; hfDir: string; size: '124m' | 'medium' | 'large' | 'xl' };
    await writeGpt2PeerFolder(checkpointPath, hfDir, size);
    return {};
  },

  /** The ceiling: ORT's best MatMul rate over a few large shapes, in a process of its own. */
  async 'matmul-ceiling'(params) {
    const { shapes, runs } = params as { shapes: [number, number, number][]; runs: number };
    const byShape = [];
    for (const [m, k, n] of shapes) {
      say(`ceiling: MatMul [${m}, ${k}] x [${k}, ${n}] ...`);
      const r = await matmulCeiling(m, k, n, runs);
      byShape.push({ shape: [m, k, n], gflops: r.gflops, gflopPerCpuSecond: r.gflopPerCpuSecond, ...r.byThreads });
    }
    return { byShape };
  },

  async 'loss-judgekit'(params) {
    const { checkpointPath, shapes, repeats, vocab } = params as { checkpointPath: string; shapes: Shape[]; repeats: number; vocab?: number };
    let t = performance.now();
    const model = await createGpt2LikelihoodModel(checkpointPath, { device: 'cpu' });
    const loadSeconds = (performance.now() - t) / 1000;
    const afterLoad = { rssMb: process.memoryUsage().rss / 2 ** 20, peakRssMb: peakRssMb() };
    // Warm-up: ORT's first run allocates its arenas; time steady-state runs only.
    const warm = tokenStream(65, 1, vocab);
    await model.tokenNll(warm.subarray(0, 64), warm.subarray(1), 1, 64);
    const results = [];
    for (const shape of shapes) {
      const ids = tokenStream(shape.batch * shape.seq + 1, 1, vocab);
      const inputs = ids.subarray(0, -1);
      const targets = ids.subarray(1);
      say(`judgekit loss ${shape.batch}x${shape.seq} ...`);
      const run = await fastestOf(repeats, async () => {
        const { nll } = await model.tokenNll(inputs, targets, shape.batch, shape.seq);
        let sum = 0;
        for (const x of nll) sum += x;
        return sum / nll.length;
      });
      results.push({ ...shape, ...run, peakRssMb: peakRssMb() });
    }
    await model.dispose();
    return { loadSeconds, afterLoad, results, peakRssMb: peakRssMb() };
  },

  /**
   * The two suspects in the loss graph's profile, as one-node graphs in one process, rated per CPU-second so that
   * other load on the machine cancels out: the output head as Gemm(transB) on the [V, C] embedding (what the graph
   * does) against MatMul with a [C, V] copy, and log-sum-exp as Sub/Exp/ReduceSum against ReduceLogSumExp and
   * SoftmaxCrossEntropyLoss.
   */
  async 'loss-ops'(params) {
    const { rows, C, V } = params as { rows: number; C: number; V: number };
    const ort = await loadOrt();
    const fill = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => (((i + seed) * 2654435761) % 1000) / 1000 - 0.5);
    const x = new ort.Tensor('float32', fill(rows * C, 1), [rows, C]);
    const logitsData = fill(rows * V, 2);
    const logits = new ort.Tensor('float32', logitsData, [rows, V]);
    const labels = new ort.Tensor('int64', BigInt64Array.from({ length: rows }, (_, i) => BigInt((i * 7919) % V)), [rows]);
    async function time(name: string, build: (b: OnnxGraphBuilder) => void, feeds: Record<string, unknown>, flops: number) {
      const b = new OnnxGraphBuilder(name, 17);
      build(b);
      const session = await ort.InferenceSession.create(b.toBytes(), { graphOptimizationLevel: 'all', logSeverityLevel: 3 });
      await session.run(feeds as never);
      let best = { seconds: Infinity, cpu: Infinity };
      for (let r = 0; r < 2; r++) {
        const t = performance.now();
        const cpu = process.cpuUsage();
        await session.run(feeds as never);
        const seconds = (performance.now() - t) / 1000;
        const used = cpuSeconds(cpu);
        if (used < best.cpu) best = { seconds, cpu: used };
      }
      await session.release();
      say(`${name}: ${best.cpu.toFixed(2)} CPU-s`);
      return { name, seconds: best.seconds, cpuSeconds: best.cpu, gflopPerCpuSecond: flops ? flops / best.cpu / 1e9 : undefined };
    }
    const head = fill(V * C, 3);
    const headFlops = 2 * rows * C * V;
    const results = [];
    results.push(
      await time('head Gemm(transB=1) [V, C]', (b) => {
        const a = b.input('x', OnnxDataType.FLOAT, [rows, C]);
        const w = b.floatInitializer('w', [V, C], head);
        b.output(b.op('Gemm', [a, w], { transB: 1 }), 'y', OnnxDataType.FLOAT, [rows, V]);
      }, { x }, headFlops),
    );
    const headT = new Float32Array(C * V);
    for (let v = 0; v < V; v++) for (let c = 0; c < C; c++) headT[c * V + v] = head[v * C + c] as number;
    results.push(
      await time('head MatMul [C, V]', (b) => {
        const a = b.input('x', OnnxDataType.FLOAT, [rows, C]);
        const w = b.floatInitializer('w', [C, V], headT);
        b.output(b.op('MatMul', [a, w]), 'y', OnnxDataType.FLOAT, [rows, V]);
      }, { x }, headFlops),
    );
    results.push(
      await time('log-sum-exp as ReduceMax, Sub, Exp, ReduceSum, Log', (b) => {
        const l = b.input('logits', OnnxDataType.FLOAT, [rows, V]);
        const max = b.op('ReduceMax', [l], { axes: [1], keepdims: 1 });
        const s = b.op('ReduceSum', [b.op('Exp', [b.op('Sub', [l, max])]), b.int64Constant([1], 'axis1')], { keepdims: 1 });
        b.output(b.op('Add', [b.op('Log', [s]), max]), 'y', OnnxDataType.FLOAT, [rows, 1]);
      }, { logits }, 0),
    );
    results.push(
      await time('ReduceLogSumExp', (b) => {
        const l = b.input('logits', OnnxDataType.FLOAT, [rows, V]);
        b.output(b.op('ReduceLogSumExp', [l], { axes: [1], keepdims: 1 }), 'y', OnnxDataType.FLOAT, [rows, 1]);
      }, { logits }, 0),
    );
    results.push(
      await time('SoftmaxCrossEntropyLoss (reduction none)', (b) => {
        const l = b.input('logits', OnnxDataType.FLOAT, [rows, V]);
        const y = b.input('labels', OnnxDataType.INT64, [rows]);
        b.output(b.op('SoftmaxCrossEntropyLoss', [l, y], { reduction: 'none', ignore_index: -100 }), 'loss', OnnxDataType.FLOAT, [rows]);
      }, { logits, labels }, 0),
    );
    return { rows, results };
  },

  /** ORT's per-op profile of decode steps of judgekit's last-position decoder graph (batch rows, `past` cached tokens). */
  async 'decode-profile'(params) {
    const { checkpointPath, batch, past, steps, vocab = 50257 } = params as { checkpointPath: string; batch: number; past: number; steps: number; vocab?: number };
    const ort = await loadOrt();
    const dir = await mkdtemp(join(tmpdir(), 'judgekit-profile-'));
    try {
      const source = await openableModel(checkpointPath, 'decoder-last');
      const config = source.config!;
      const session = await ort.InferenceSession.create(source.model as Uint8Array, { ...sessionOptions({ device: 'cpu' }), enableProfiling: true, profileFilePrefix: join(dir, 'decode') });
      await source.cleanup();
      const H = config.nHeads;
      const D = config.embDim / H;
      const int64 = (n: number, f: (i: number) => number, dims: number[]) => new ort.Tensor('int64', BigInt64Array.from({ length: n }, (_, i) => BigInt(f(i))), dims);
      let pastTensors: Record<string, unknown> = {};
      for (let l = 0; l < config.nLayers; l++) {
        pastTensors[`past_key_values.${l}.key`] = new ort.Tensor('float32', new Float32Array(0), [batch, H, 0, D]);
        pastTensors[`past_key_values.${l}.value`] = new ort.Tensor('float32', new Float32Array(0), [batch, H, 0, D]);
      }
      let length = 0;
      const stepTimes: number[] = [];
      for (let s = 0; s <= steps; s++) {
        const seq = s === 0 ? past : 1;
        const t = performance.now();
        const out = await session.run({
          input_ids: int64(batch * seq, (i) => (i * 31) % vocab, [batch, seq]),
          position_ids: int64(batch * seq, (i) => length + (i % seq), [batch, seq]),
          attention_mask: int64(batch * (length + seq), () => 1, [batch, length + seq]),
          ...pastTensors,
        } as never);
        if (s > 0) stepTimes.push((performance.now() - t) / 1000);
        length += seq;
        pastTensors = {};
        for (let l = 0; l < config.nLayers; l++) {
          pastTensors[`past_key_values.${l}.key`] = out[`present.${l}.key`];
          pastTensors[`past_key_values.${l}.value`] = out[`present.${l}.value`];
        }
      }
      session.endProfiling();
      await session.release();
      const runsOf = (events: ProfileEvent[]) => events.filter((e) => e.name === 'model_run').sort((a, b) => a.ts - b.ts);
      // Skip the prefill and the first decode step.
      const { events, start, kernelMs, ops } = await readOpProfile(dir, (events) => runsOf(events)[2]?.ts ?? 0);
      const runMs = runsOf(events)
        .filter((r) => r.ts >= start)
        .reduce((n, r) => n + r.dur / 1000, 0);
      return { stepSeconds: stepTimes, runMs, kernelMs, ops };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },

  /** ORT's per-op profile of judgekit's loss graph for one batch: which op types take the time. */
  async 'loss-profile'(params) {
    const { checkpointPath, batch, seq, vocab } = params as { checkpointPath: string; batch: number; seq: number; vocab?: number };
    const ort = await loadOrt();
    const dir = await mkdtemp(join(tmpdir(), 'judgekit-profile-'));
    try {
      // The graph judgekit's loss model runs on the CPU (createGpt2LikelihoodModel builds it for its device).
      const source = await openableModel(checkpointPath, 'loss', { graph: { executionProvider: 'cpu' } });
      const session = await ort.InferenceSession.create(source.model as Uint8Array, {
        ...sessionOptions({ device: 'cpu' }),
        enableProfiling: true,
        profileFilePrefix: join(dir, 'loss'),
      });
      await source.cleanup();
      const ids = tokenStream(batch * seq + 1, 1, vocab);
      const feeds = () => ({
        input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.subarray(0, -1), (x) => BigInt(x)), [batch, seq]),
        targets: new ort.Tensor('int64', BigInt64Array.from(ids.subarray(1), (x) => BigInt(x)), [batch, seq]),
      });
      say(`profiling the loss graph at ${batch}x${seq} ...`);
      // The first run grows ORT's arenas (first-touch page faults, expensive in this VM): profile the second.
      await session.run(feeds());
      const t = performance.now();
      await session.run(feeds());
      const seconds = (performance.now() - t) / 1000;
      session.endProfiling();
      await session.release();
      // The last (second) run only.
      const { events, start, kernelMs, ops } = await readOpProfile(dir, (events) => Math.max(...events.filter((e) => e.name === 'model_run').map((e) => e.ts)));
      return { seconds, kernelMs, ops, split: splitMatmuls(events, start) };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },

  async 'loss-transformers'(params) {
    const { root, id, shapes, maxLogitElements, repeats, threads, vocab, externalData } = params as {
      root: string;
      id: string;
      shapes: Shape[];
      maxLogitElements: number;
      repeats: number;
      threads?: number;
      vocab?: number;
      externalData?: boolean;
    };
    const { AutoModelForCausalLM, env, Tensor } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.localModelPath = root;
    let t = performance.now();
    const model = await AutoModelForCausalLM.from_pretrained(id, {
      dtype: 'fp32',
      device: 'cpu',
      // Past 2 GiB the weights are in onnx/model.onnx_data, which transformers.js reads only when told.
      ...(externalData ? { use_external_data_format: true } : {}),
      ...(threads ? { session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 } } : {}),
    });
    const loadSeconds = (performance.now() - t) / 1000;
    const V = vocab ?? 50257;
    const results = [];
    {
      const warm = tokenStream(64, 1, V);
      const input_ids = new Tensor('int64', BigInt64Array.from(warm, (x) => BigInt(x)), [1, 64]);
      await model({ input_ids, attention_mask: new Tensor('int64', new BigInt64Array(64).fill(1n), [1, 64]) });
    }
    for (const shape of shapes) {
      const ids = tokenStream(shape.batch * shape.seq + 1, 1, V);
      say(`transformers.js loss ${shape.batch}x${shape.seq} ...`);
      const run = await fastestOf(repeats, async () => {
        let sum = 0;
        // Same memory policy as judgekit's graph: at most `maxLogitElements` logits per run.
        const rowsPerRun = Math.max(1, Math.floor(maxLogitElements / (shape.seq * V)));
        for (let row = 0; row < shape.batch; row += rowsPerRun) {
          const rows = Math.min(rowsPerRun, shape.batch - row);
          const slice = ids.subarray(row * shape.seq, (row + rows) * shape.seq);
          const input_ids = new Tensor('int64', BigInt64Array.from(slice, (x) => BigInt(x)), [rows, shape.seq]);
          const attention_mask = new Tensor('int64', new BigInt64Array(rows * shape.seq).fill(1n), [rows, shape.seq]);
          const out = (await model({ input_ids, attention_mask })) as { logits: { data: Float32Array } };
          const logits = out.logits.data;
          for (let p = 0; p < rows * shape.seq; p++) {
            const target = ids[row * shape.seq + p + 1] as number;
            const o = p * V;
            let max = -Infinity;
            for (let v = 0; v < V; v++) if ((logits[o + v] as number) > max) max = logits[o + v] as number;
            let s = 0;
            for (let v = 0; v < V; v++) s += Math.exp((logits[o + v] as number) - max);
            sum += Math.log(s) + max - (logits[o + target] as number);
          }
        }
        return sum / (shape.batch * shape.seq);
      });
      results.push({ ...shape, ...run, peakRssMb: peakRssMb() });
    }
    return { loadSeconds, results, peakRssMb: peakRssMb() };
  },

  async 'generate-judgekit'(params) {
    const { checkpointPath, prompts, maxNewTokens, batchSize } = params as { checkpointPath: string; prompts: number[][]; maxNewTokens: number; batchSize: number };
    let t = performance.now();
    const session = await createGpt2DecoderSession(checkpointPath, { device: 'cpu' });
    const loadSeconds = (performance.now() - t) / 1000;
    say(`judgekit generate: ${prompts.length} prompts x ${maxNewTokens} tokens, batch ${batchSize} ...`);
    t = performance.now();
    const cpu = process.cpuUsage();
    const completions = await generateTokens(session, prompts, { maxNewTokens, batchSize });
    const seconds = (performance.now() - t) / 1000;
    const cpuUsed = cpuSeconds(cpu);
    await session.dispose();
    return { loadSeconds, seconds, cpuSeconds: cpuUsed, completions, peakRssMb: peakRssMb() };
  },

  async 'generate-transformers'(params) {
    const { root, id, prompts, texts, maxNewTokens, threads, eos = 50256 } = params as { root: string; id: string; prompts: number[][]; texts: string[]; maxNewTokens: number; threads?: number; eos?: number };
    const { AutoModelForCausalLM, AutoTokenizer, env, Tensor } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.localModelPath = root;
    const tokenizer = await AutoTokenizer.from_pretrained(id);
    const sameTokens = texts.filter((text, i) => JSON.stringify(tokenizer.encode(text)) === JSON.stringify(prompts[i])).length;
    let t = performance.now();
    // `threads`: the same explicit intra-op thread count judgekit uses (default: transformers.js's own settings).
    const model = await AutoModelForCausalLM.from_pretrained(id, {
      dtype: 'fp32',
      device: 'cpu',
      ...(threads ? { session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 } } : {}),
    });
    const loadSeconds = (performance.now() - t) / 1000;
    say(`transformers.js generate: ${prompts.length} prompts x ${maxNewTokens} tokens, one at a time ...`);
    t = performance.now();
    const cpu = process.cpuUsage();
    const completions: number[][] = [];
    for (const prompt of prompts) {
      const input_ids = new Tensor('int64', BigInt64Array.from(prompt, (x) => BigInt(x)), [1, prompt.length]);
      const attention_mask = new Tensor('int64', new BigInt64Array(prompt.length).fill(1n), [1, prompt.length]);
      const out = (await model.generate({ input_ids, attention_mask, max_new_tokens: maxNewTokens, do_sample: false, eos_token_id: eos, pad_token_id: eos })) as {
        tolist(): bigint[][];
      };
      const ids = (out.tolist()[0] ?? []).map(Number).slice(prompt.length);
      const stop = ids.indexOf(eos);
      completions.push(stop >= 0 ? ids.slice(0, stop) : ids);
    }
    const seconds = (performance.now() - t) / 1000;
    return { loadSeconds, seconds, cpuSeconds: cpuSeconds(cpu), completions, sameTokens, peakRssMb: peakRssMb() };
  },
};

const [name, json] = process.argv.slice(2);
const run = name ? cases[name] : undefined;
if (!run) {
  console.error(`unknown case ${name}; one of ${Object.keys(cases).join(', ')}`);
  process.exit(2);
}
const result = await run(JSON.parse(json ?? '{}') as Record<string, unknown>);
console.log(`RESULT ${JSON.stringify(result)}`);
process.exit(0);

// `npm run bench -- big [--model=124m|medium|large|xl] [--layers=N] [--windows=N] [--seq=N] [--new-tokens=N] [--numpy]
// [--finetune[=STEPS]]`:
// GPT-2 at every size. Writes a GPT-2-shaped checkpoint (vocab 50257, context 1024, F32, Hugging Face naming, tied
// head; large by default: 36 layers, 1280 dim, 20 heads, 3.1 GB; xl: 48 layers, 1600 dim, 25 heads, 6.2 GB) with
// seeded random weights to a temp dir, then, each in its own process: its test loss with `judgekit loss` on the CPU
// under /usr/bin/time -v (wall time, peak RSS), greedy generation of a few tokens through the decoder session (load
// and generation time, tokens/s, peak RSS), and, for large or with --numpy, the NumPy reference loss
// (scripts/verify/numpy_gpt2_loss.py, which reads the file itself; float64, so it needs 2x the weights' memory).
// --finetune[=STEPS] (default 2) also runs `judgekit finetune` under /usr/bin/time -v: one fixed epoch of STEPS AdamW
// steps at 8 x 256 (a synthetic Alpaca set whose rows all reach 256 tokens), so its peak RSS stands beside the
// memory estimate the command logs first; a size whose estimate is over what the machine has is refused, as a user
// would see it, and that refusal is what the section records.
// Deletes the files. With the full number of layers the figures go to docs/benchmarks.md (section bench:big for
// large, bench:big-<model> for the others); --layers=N (fewer) proves the path quickly and writes nothing.
import { spawn } from 'node:child_process';
import { mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCase } from './lib/bench-child.ts';
import { fmt, machineLine, writeBenchSection } from './lib/bench-doc.ts';

export interface Gpt2Shape {
  vocab: number;
  context: number;
  emb: number;
  layers: number;
  heads: number;
}

/** OpenAI's four GPT-2 sizes. */
export const GPT2_SHAPES: Readonly<Record<'124m' | 'medium' | 'large' | 'xl', Gpt2Shape>> = Object.freeze({
  '124m': { vocab: 50257, context: 1024, emb: 768, layers: 12, heads: 12 },
  medium: { vocab: 50257, context: 1024, emb: 1024, layers: 24, heads: 16 },
  large: { vocab: 50257, context: 1024, emb: 1280, layers: 36, heads: 20 },
  xl: { vocab: 50257, context: 1024, emb: 1600, layers: 48, heads: 25 },
});
export type Gpt2Size = keyof typeof GPT2_SHAPES;

interface Spec {
  name: string;
  shape: number[];
  /** Values uniform around `mean` with standard deviation `std`. */
  mean: number;
  std: number;
}

export function tensorSpecs(layers: number, shape: Gpt2Shape = GPT2_SHAPES.large): Spec[] {
  const { vocab: V, context: T, emb: C } = shape;
  const p = 'transformer.';
  // Spreads chosen so the loss is well away from ln(vocab) (a wrong layer shows) while attention stays unsaturated:
  // matrices 1/sqrt(fan_in), embeddings 0.1, LayerNorm gains 1 +- 0.1, biases 0.02.
  const matrix = (name: string, rows: number, cols: number): Spec => ({ name, shape: [rows, cols], mean: 0, std: 1 / Math.sqrt(rows) });
  const vector = (name: string, n: number, mean = 0, std = 0.02): Spec => ({ name, shape: [n], mean, std });
  const specs: Spec[] = [
    { name: `${p}wte.weight`, shape: [V, C], mean: 0, std: 0.1 },
    { name: `${p}wpe.weight`, shape: [T, C], mean: 0, std: 0.1 },
  ];
  for (let i = 0; i < layers; i++) {
    const h = `${p}h.${i}.`;
    specs.push(
      vector(`${h}ln_1.weight`, C, 1, 0.1),
      vector(`${h}ln_1.bias`, C),
      matrix(`${h}attn.c_attn.weight`, C, 3 * C),
      vector(`${h}attn.c_attn.bias`, 3 * C),
      matrix(`${h}attn.c_proj.weight`, C, C),
      vector(`${h}attn.c_proj.bias`, C),
      vector(`${h}ln_2.weight`, C, 1, 0.1),
      vector(`${h}ln_2.bias`, C),
      matrix(`${h}mlp.c_fc.weight`, C, 4 * C),
      vector(`${h}mlp.c_fc.bias`, 4 * C),
      matrix(`${h}mlp.c_proj.weight`, 4 * C, C),
      vector(`${h}mlp.c_proj.bias`, C),
    );
  }
  specs.push(vector(`${p}ln_f.weight`, C, 1, 0.1), vector(`${p}ln_f.bias`, C));
  return specs;
}

/** mulberry32: a small seeded generator of uniform [0, 1) numbers. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Write the checkpoint tensor by tensor (its own writer, not judgekit's: at most one tensor in memory). Returns the
 * file's size and the parameter count.
 */
export async function writeCheckpoint(path: string, specs: Spec[], seed: number): Promise<{ bytes: number; parameters: number }> {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const s of specs) {
    const bytes = s.shape.reduce((a, b) => a * b, 1) * 4;
    header[s.name] = { dtype: 'F32', shape: s.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
  const headerBytes = Buffer.from(json);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerBytes.length));
  const handle = await open(path, 'w');
  try {
    await handle.write(prefix);
    await handle.write(headerBytes);
    const next = generator(seed);
    for (const s of specs) {
      const values = new Float32Array(s.shape.reduce((a, b) => a * b, 1));
      const half = s.std * Math.sqrt(3);
      for (let i = 0; i < values.length; i++) values[i] = s.mean + (2 * next() - 1) * half;
      await handle.write(new Uint8Array(values.buffer));
    }
  } finally {
    await handle.close();
  }
  return { bytes: 8 + headerBytes.length + offset, parameters: offset / 4 };
}

interface Measured {
  stdout: string;
  stderr: string;
  wallSeconds: number;
  peakRssMb: number;
}

/** Run a command under /usr/bin/time -v: its stdout, wall time and peak RSS. */
async function timed(command: string, args: string[], echo = false): Promise<Measured> {
  const child = spawn('/usr/bin/time', ['-v', command, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1' } });
  let stdout = '';
  let stderr = '';
  let pending = '';
  let echoDone = false;
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (!echo) return;
    // Echo the command's own log lines as they complete, not /usr/bin/time's report (from "Command being timed" on).
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith('\tCommand being timed')) echoDone = true;
      if (!echoDone && line) process.stderr.write(`    ${line}\n`);
    }
  });
  const code = await new Promise<number>((done) => child.on('close', (c) => done(c ?? 1)));
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${code}):\n${stderr.slice(-4000)}`);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)/.exec(stderr);
  if (!rss || !wall) throw new Error(`/usr/bin/time -v printed no figures:\n${stderr.slice(-2000)}`);
  const wallSeconds = wall[1]!.split(':').reduce((total, part) => total * 60 + Number(part), 0);
  return { stdout, stderr, wallSeconds, peakRssMb: Number(rss[1]) / 1024 };
}

function option(args: string[], name: string, fallback: number): number {
  const arg = args.find((a) => a.startsWith(`--${name}=`));
  const value = arg ? Number(arg.slice(name.length + 3)) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}

/** `--model=xl` or `--model xl`; default large. */
export function modelOption(args: string[]): Gpt2Size {
  const at = args.indexOf('--model');
  const raw = at >= 0 ? args[at + 1] : args.find((a) => a.startsWith('--model='))?.slice('--model='.length);
  const size = raw ?? 'large';
  if (!(size in GPT2_SHAPES)) throw new Error(`--model must be one of ${Object.keys(GPT2_SHAPES).join(', ')}; got "${size}"`);
  return size as Gpt2Size;
}

interface GenerationResult {
  loadSeconds: number;
  seconds: number;
  completions: number[][];
  peakRssMb: number;
}

export default async function bigBench(args: string[] = []): Promise<void> {
  const log = (line: string) => console.log(`  ${line}`);
  const size = modelOption(args);
  const shape = GPT2_SHAPES[size];
  const layers = option(args, 'layers', shape.layers);
  const windows = option(args, 'windows', 2);
  const seq = option(args, 'seq', 256);
  const newTokens = option(args, 'new-tokens', 8);
  const numpy = args.includes('--numpy') || size === 'large';
  const finetuneArg = args.find((a) => a === '--finetune' || a.startsWith('--finetune='));
  const finetuneSteps = finetuneArg === undefined ? undefined : finetuneArg === '--finetune' ? 2 : option(args, 'finetune', 2);
  const machine = await machineLine();
  const dir = await mkdtemp(join(tmpdir(), 'judgekit-bench-big-'));
  try {
    const checkpoint = join(dir, 'model.safetensors');
    const tokensPath = join(dir, 'tokens.bin');
    let t = performance.now();
    const written = await writeCheckpoint(checkpoint, tensorSpecs(layers, shape), 774);
    log(`wrote ${checkpoint}: GPT-2 ${size} shape, ${layers} layers, ${(written.parameters / 1e6).toFixed(1)}M parameters, ${(written.bytes / 2 ** 30).toFixed(2)} GiB (${((performance.now() - t) / 1000).toFixed(1)} s)`);
    if ((await stat(checkpoint)).size !== written.bytes) throw new Error('the checkpoint has the wrong size');
    const config = { model_type: 'gpt2', vocab_size: shape.vocab, n_positions: shape.context, n_embd: shape.emb, n_layer: layers, n_head: shape.heads, layer_norm_epsilon: 1e-5, tie_word_embeddings: true };
    await writeFile(join(dir, 'config.json'), JSON.stringify(config));
    const next = generator(2026);
    const tokens = Uint16Array.from({ length: windows * seq + 1 }, () => Math.floor(next() * shape.vocab));
    await writeFile(tokensPath, tokens);
    const weightGib = (written.parameters * 4) / 2 ** 30;

    log(`judgekit loss (CPU, ${windows} window(s) of ${seq} tokens, batch 1) ...`);
    const judgekitArgs = ['loss', checkpoint, tokensPath, '--context-length', String(seq), '--batch-size', '1', '--batches', String(windows), '--device', 'cpu', '--json'];
    const ours = await timed(process.execPath, ['--conditions=@judgekit/source', '--import', 'tsx/esm', resolve('packages/cli/src/bin-source.ts'), ...judgekitArgs]);
    const oursResult = JSON.parse(ours.stdout.trim().split('\n').at(-1)!) as { loss: number; tokens: number; seconds: number; device: string };
    log(`judgekit: loss ${oursResult.loss}, ${oursResult.tokens} tokens, ${fmt(ours.wallSeconds)} s wall (${fmt(oursResult.seconds)} s in the loss loop), peak RSS ${fmt(ours.peakRssMb / 1024, 2)} GiB (${fmt(ours.peakRssMb / 1024 / weightGib, 2)} x the F32 weights)`);

    const prompt = [...tokens.subarray(0, 32)];
    log(`judgekit greedy generation (CPU, decoder session with KV cache, a ${prompt.length}-token prompt, ${newTokens} new tokens) ...`);
    const started = performance.now();
    const generation = await runCase<GenerationResult>('generate-judgekit', { checkpointPath: checkpoint, prompts: [prompt], maxNewTokens: newTokens, batchSize: 1 }, log);
    const generationWall = (performance.now() - started) / 1000;
    const generated = generation.completions[0]?.length ?? 0;
    if (generated !== newTokens) throw new Error(`generation produced ${generated} tokens, expected ${newTokens} (no stop token on random weights is expected)`);
    const tokensPerSecond = generated / generation.seconds;
    log(
      `generation: ${generated} tokens in ${fmt(generation.seconds, 2)} s (${fmt(tokensPerSecond, 2)} tokens/s), load ${fmt(generation.loadSeconds)} s, ${fmt(generationWall)} s wall, ` +
        `peak RSS ${fmt(generation.peakRssMb / 1024, 2)} GiB (${fmt(generation.peakRssMb / 1024 / weightGib, 2)} x the F32 weights)`,
    );

    let reference: { result: { loss: number; tokens: number }; measured: Measured } | undefined;
    if (numpy) {
      log('NumPy reference (float64) ...');
      const theirs = await timed('python3', [resolve('scripts/verify/numpy_gpt2_loss.py'), 'loss', dir, tokensPath, '--context', String(seq), '--batch-size', '1', '--batches', String(windows)]);
      const theirsResult = JSON.parse(theirs.stdout.trim().split('\n').at(-1)!) as { loss: number; tokens: number };
      log(`NumPy: loss ${theirsResult.loss}, ${theirsResult.tokens} tokens, ${fmt(theirs.wallSeconds)} s wall, peak RSS ${fmt(theirs.peakRssMb / 1024, 2)} GiB`);
      if (theirsResult.tokens !== oursResult.tokens) throw new Error(`judgekit scored ${oursResult.tokens} tokens, NumPy ${theirsResult.tokens}`);
      const difference = Math.abs(oursResult.loss - theirsResult.loss);
      log(`|difference| ${difference.toExponential(2)} (relative ${(difference / Math.abs(theirsResult.loss)).toExponential(2)})`);
      reference = { result: theirsResult, measured: theirs };
    }

    const tuned = finetuneSteps === undefined ? undefined : await finetuneRun(dir, checkpoint, `gpt2-${size}`, finetuneSteps, log);

    if (layers !== shape.layers) {
      log(`--layers=${layers}: a shortened model, so docs/benchmarks.md is left alone.`);
      return;
    }
    const gib = (mb: number) => fmt(mb / 1024, 2);
    const ratio = (mb: number) => fmt(mb / 1024 / weightGib, 2);
    const rows = [
      `| judgekit test loss (\`judgekit loss --device cpu\`, ONNX Runtime, float32) | loss ${oursResult.loss.toFixed(6)} | ${fmt(ours.wallSeconds)} s (loss loop ${fmt(oursResult.seconds)} s) | ${gib(ours.peakRssMb)} GiB | ${ratio(ours.peakRssMb)} |`,
      `| judgekit greedy generation (decoder session, KV cache, ${prompt.length}-token prompt + ${generated} new tokens) | ${fmt(tokensPerSecond, 2)} tokens/s | ${fmt(generationWall)} s (load ${fmt(generation.loadSeconds)} s, generation ${fmt(generation.seconds, 2)} s) | ${gib(generation.peakRssMb)} GiB | ${ratio(generation.peakRssMb)} |`,
    ];
    if (reference) {
      rows.push(`| NumPy reference loss (\`scripts/verify/numpy_gpt2_loss.py\`, float64) | loss ${reference.result.loss.toFixed(6)} | ${fmt(reference.measured.wallSeconds)} s | ${gib(reference.measured.peakRssMb)} GiB | ${ratio(reference.measured.peakRssMb)} |`);
    }
    if (tuned?.kind === 'ran') {
      rows.push(
        `| judgekit fine-tuning (\`judgekit finetune\`, ${tuned.steps} AdamW steps at 8 x 256, fixed epoch; logged estimate ${tuned.estimate}) | validation loss ${tuned.validationLoss} | ${fmt(tuned.measured.wallSeconds)} s (the steps and validation ${tuned.epochSeconds} s) | ${gib(tuned.measured.peakRssMb)} GiB (${fmt((tuned.measured.peakRssMb * 2 ** 20) / 1e9, 2)} GB) | ${ratio(tuned.measured.peakRssMb)} |`,
      );
    } else if (tuned?.kind === 'refused') {
      rows.push(`| judgekit fine-tuning (\`judgekit finetune\`, 8 x 256) | refused before loading: "${tuned.message}" | ${fmt(tuned.wallSeconds)} s | - | - |`);
    }
    const difference = reference ? Math.abs(oursResult.loss - reference.result.loss) : undefined;
    const section = size === 'large' ? 'big' : `big-${size}`;
    await writeBenchSection(
      section,
      `### bench:${section}: GPT-2 ${size} shape${size === 'large' ? ' (a checkpoint over 2 GiB)' : ''}

\`npm run bench -- big --model=${size}\` (${new Date().toISOString().slice(0, 10)}; ${machine}). A GPT-2-${size}-shaped checkpoint (${layers} layers, ${shape.emb} dim,
${shape.heads} heads, vocab ${shape.vocab}, context ${shape.context}, tied head; ${(written.parameters / 1e6).toFixed(1)}M parameters) with seeded random weights, F32
safetensors in Hugging Face naming: ${(written.bytes / 2 ** 30).toFixed(2)} GiB (${(written.bytes / 1e9).toFixed(2)} GB; the F32 weights ${fmt(weightGib, 2)} GiB). Test loss on ${windows} window(s) of ${seq} random tokens
(batch 1) and greedy generation, each in its own process (\`/usr/bin/time -v\` for the loss, the process's own maximum RSS for
generation, both including the load)${tuned ? `, and fine-tuning in its own process under \`/usr/bin/time -v\` (\`--finetune=${finetuneSteps}\`: a synthetic Alpaca set of ${finetuneRecords(finetuneSteps!)} records whose rows all reach the 256-token cap, split 85/10/5, one fixed epoch; load, the steps, validation and writing the fine-tuned checkpoint included)` : ''}; the files are deleted afterwards.

| | result | wall time (load included) | peak RSS | peak RSS / F32 weights |
| --- | --- | --- | --- | --- |
${rows.join('\n')}
${difference === undefined ? '' : `\nAbsolute loss difference ${difference.toExponential(2)} (relative ${(difference / Math.abs(reference!.result.loss)).toExponential(2)}), over ${oursResult.tokens} scored tokens.`}`,
    );
    log(`wrote the figures to docs/benchmarks.md (bench:${section})`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The fewest records whose 85% training split gives exactly `steps` full batches of 8 (the trainer drops a partial batch). */
export function finetuneRecords(steps: number): number {
  for (let n = 1; ; n++) if (Math.floor(Math.floor(0.85 * n) / 8) === steps) return n;
}

type FinetuneOutcome =
  | { kind: 'ran'; steps: number; estimate: string; validationLoss: string; epochSeconds: number; measured: Measured }
  | { kind: 'refused'; message: string; wallSeconds: number };

/** `judgekit finetune` on the bench checkpoint: `steps` steps at 8 x 256 under /usr/bin/time -v, or the refusal. */
async function finetuneRun(dir: string, checkpoint: string, name: string, steps: number, log: (line: string) => void): Promise<FinetuneOutcome> {
  // Each output runs well past 256 tokens, so every row of every batch is cut to the cap: batches are exactly 8 x 256.
  const words = 'the model reads a long answer about rivers and mountains and writes it again with care'.split(' ');
  const records = Array.from({ length: finetuneRecords(steps) }, (_, i) => ({
    instruction: `Describe item ${i + 1} in detail.`,
    input: '',
    output: Array.from({ length: 320 }, (_, j) => words[(i + j) % words.length]).join(' '),
  }));
  const dataset = join(dir, 'finetune-data.json');
  await writeFile(dataset, JSON.stringify(records));
  const cli = [resolve('packages/cli/src/bin-source.ts'), 'finetune', checkpoint, '--dataset', dataset, '--out', join(dir, 'finetune-run'), '--name', name, '--epochs', '1', '--batch-size', '8', '--max-length', '256'];
  log(`judgekit finetune (CPU, ${records.length} records: ${steps} steps at 8 x 256, one epoch) ...`);
  const started = performance.now();
  let measured: Measured;
  try {
    measured = await timed(process.execPath, ['--conditions=@judgekit/source', '--import', 'tsx/esm', ...cli], true);
  } catch (error) {
    const text = String((error as Error).message);
    const refusal = /fine-tuning \S+ needs about [^\n]*? but this machine has [\d.]+ GB available/.exec(text);
    if (!refusal) throw error;
    log(`refused: ${refusal[0]}`);
    return { kind: 'refused', message: refusal[0].trim(), wallSeconds: (performance.now() - started) / 1000 };
  }
  const estimate = /memory: fine-tuning \S+ needs about ([\d.]+ GB)/.exec(measured.stderr)?.[1];
  if (!estimate) throw new Error(`judgekit finetune logged no memory estimate:\n${measured.stderr.slice(-2000)}`);
  // The epoch's own record (epochs.jsonl, read as the run store reads it), not its log line: exact seconds and loss.
  const { JsonlLog } = await import('@judgekit/core');
  const { entries } = await new JsonlLog<{ validationLoss: number; steps: number; seconds: number }>(join(dir, 'finetune-run', 'finetune', name, 'epochs.jsonl')).read();
  const epoch = entries.get('epoch/1');
  if (!epoch) throw new Error(`judgekit finetune wrote no record of epoch 1 under ${dir}`);
  const validationLoss = epoch.validationLoss.toFixed(4);
  const epochSeconds = Math.round(epoch.seconds);
  log(`the epoch (${epoch.steps} steps and validation): ${epochSeconds} s`);
  log(`finetune: ${fmt(measured.wallSeconds)} s wall, peak RSS ${fmt(measured.peakRssMb / 1024, 2)} GiB (${fmt((measured.peakRssMb * 2 ** 20) / 1e9, 2)} GB); estimate ${estimate}; validation loss ${validationLoss}`);
  return { kind: 'ran', steps, estimate, validationLoss, epochSeconds, measured };
}

// The `--model` choice of `npm run bench -- loss generate train`: which model shape the throughput benchmarks run
// (seeded random weights either way). `124m`, the default, is GPT-2 small's shape, built once under .bench/, and
// `medium` GPT-2 medium's (355M), likewise; `smollm-135m` is a Llama shape of about 135M parameters (SmolLM-135M's), written to a temp dir and deleted when the
// bench process exits. `large` and `xl` (GPT-2 large's and XL's shapes, 3.1 and 6.2 GB in F32) are for `loss` only: the
// 110-prompt generation and the training steps at those sizes take hours here, so their generation, fine-tuning and
// peak memory are `npm run bench -- big --model=large|xl`. Written as
// `--model=smollm-135m` or `--model smollm-135m` (scripts/bench.ts skips the value when it reads benchmark names).
// No heavy imports here: the option's unit test reads this file.

export const BENCH_MODELS = ['124m', 'medium', 'large', 'xl', 'smollm-135m'] as const;
export type BenchModelName = (typeof BENCH_MODELS)[number];
/** The shapes `generate` and `train` (and `loss`) run; `loss` also runs the larger GPT-2 sizes. */
const THROUGHPUT_MODELS: readonly BenchModelName[] = ['124m', 'medium', 'smollm-135m'];
const LOSS_ONLY_MODELS: readonly BenchModelName[] = ['large', 'xl'];

/** SmolLM-135M's shape (its config.json): 30 layers, hidden 576, 9 heads, 3 KV heads, SwiGLU 1536, vocab 49,152, tied head. */
export const SMOLLM_135M_SHAPE = Object.freeze({
  vocabSize: 49152,
  contextLength: 2048,
  embDim: 576,
  nLayers: 30,
  nHeads: 9,
  nKvHeads: 3,
  headDim: 64,
  intermediateSize: 1536,
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  tiedHead: true,
  attentionBias: false,
});

/**
 * The `--model` value in `args` (`--model=X` or `--model X`); default `124m`. `bench` is the benchmark reading it:
 * only `loss` takes `large` and `xl`. Throws naming the choices.
 */
export function benchModelOption(args: readonly string[], bench: 'loss' | 'generate' | 'train' = 'loss'): BenchModelName {
  const at = args.indexOf('--model');
  const raw = at >= 0 ? (args[at + 1] ?? '') : args.find((a) => a.startsWith('--model='))?.slice('--model='.length);
  const name = raw ?? '124m';
  const choices = bench === 'loss' ? [...THROUGHPUT_MODELS, ...LOSS_ONLY_MODELS] : THROUGHPUT_MODELS;
  if (!choices.includes(name as BenchModelName)) {
    const bigHint = LOSS_ONLY_MODELS.includes(name as BenchModelName) ? ` (GPT-2 ${name}'s ${bench === 'generate' ? 'generation' : 'fine-tuning'} is \`npm run bench -- big --model=${name}${bench === 'train' ? ' --finetune' : ''}\`)` : '';
    throw new Error(`--model for ${bench} must be one of ${choices.join(', ')}; got "${name}"${bigHint}`);
  }
  return name as BenchModelName;
}

/** The docs/benchmarks.md section a benchmark writes for a model: its own for 124m, `<bench>-<model>` for the others. */
export function benchSection(bench: string, model: BenchModelName): string {
  return model === '124m' ? bench : `${bench}-${model}`;
}

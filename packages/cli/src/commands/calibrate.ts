// `judgekit calibrate`: judge meta-evaluation. Builds a known-quality answer set from an Alpaca-format dataset (the
// reference, the reference with sentences dropped, another item's answer, an empty answer), runs each judge on it as
// pseudo-models through the normal judge path (cache, resume, spend log), and reports how well each judge orders
// answers whose order is known: calibration.json and calibration.md in the out dir (see docs/analysis.md).
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  assembleJudge,
  assertPathSafeName,
  buildKnownQualitySet,
  calibrateJudge,
  calibrateScores,
  collectJudgeScores,
  defaultCacheDir,
  DEFAULT_PRICES,
  findPrice,
  JsonlLog,
  JudgekitError,
  JudgeRunner,
  KNOWN_ORDER_TEXT,
  knownQualityAnswers,
  knownTierMatrix,
  loadAnswerFiles,
  loadPriceTable,
  panelScores,
  parseProviderModel,
  runFile,
  scrubSecrets,
  SpendLog,
  spendCostUsd,
  totalSpend,
  writeFileAtomic,
  type CalibrationCost,
  type CalibrationFile,
  type JudgeCalibration,
  type JudgmentRecord,
  type KnownQualitySet,
  type LevelComparison,
  type PriceTable,
} from '@judgekit/core';
import { assembleJudgekit } from '../builtin-plugins.js';
import { integerOption, stringOption, type CliCommand } from '../cli-command.js';
import { FORCE_LOCK_OPTION, lockRunDirectory } from '../run-dir-lock.js';

/**
 * Judge modes calibrate runs: the scored modes, and `pairwise` where a pairwise judge is loaded (its accuracy then
 * comes from its own verdicts, both orders of every pair).
 */
export const CALIBRATE_MODES = ['single', 'batched', 'pairwise'] as const;

function listOption(value: string | boolean | string[] | undefined): string[] {
  if (value === undefined || typeof value === 'boolean') return [];
  return (Array.isArray(value) ? value : [value]).flatMap((entry) => entry.split(',')).map((entry) => entry.trim()).filter((entry) => entry !== '');
}

/** `single-openai-gpt-4o-mini`: a path-safe judge name for a mode and judge spec. */
export function calibrationJudgeName(mode: string, spec: string): string {
  return `${mode}-${spec.replace(/[^\w.-]+/g, '-')}`;
}

export const command: CliCommand = {
  name: 'calibrate',
  summary: 'Measure judges on answers of known quality (reference > sentences dropped > another item / empty): ordering accuracy, Kendall tau, slot bias, flip rate, cost per item; writes calibration.json and calibration.md',
  usage: 'judgekit calibrate --dataset <file|url> --judge <provider>:<model> [--judge ...] [--mode single|batched|pairwise ...] --out <dir> [options]',
  options: {
    dataset: { type: 'string', value: '<file|url>', description: 'Alpaca-format records (instruction, input, output): each non-empty output is a reference answer' },
    judge: { type: 'string', multiple: true, value: '<provider>:<model>', description: 'Judge to calibrate, e.g. openai:gpt-4o-mini; repeatable (or comma-separated)' },
    mode: { type: 'string', multiple: true, value: '<single|batched|pairwise>', description: 'Judge mode(s); repeatable (or comma-separated); default single. pairwise: accuracy from its own verdicts' },
    out: { type: 'string', short: 'o', value: '<dir>', description: 'Directory to write (answers, judgments, calibration.json); rerunning into it resumes' },
    items: { type: 'string', value: '<n>', description: 'Items to use: a seeded sample, in dataset order (default: all with a reference)' },
    seed: { type: 'string', value: '<n>', description: 'Seed of the item sample, the sentences dropped, the other item, the batched order and the bootstrap', default: '123' },
    'wrong-fluent': { type: 'boolean', description: "Add a fluent wrong answer: the reference of the item whose instruction is most similar (ROUGE-L F1)" },
    repeats: { type: 'string', value: '<k>', description: 'Judge every item k times (for the flip rate)', default: '1' },
    resamples: { type: 'string', value: '<n>', description: 'Bootstrap resamples', default: '2000' },
    concurrency: { type: 'string', value: '<n>', description: 'Judge calls in flight at once', default: '4' },
    api: { type: 'string', value: '<chat|responses>', description: 'OpenAI API flavour', default: 'chat' },
    'base-url': { type: 'string', value: '<url>', description: 'Provider endpoint (default OPENAI_BASE_URL / ANTHROPIC_BASE_URL, else the vendor)' },
    temperature: { type: 'string', value: '<t>', description: 'Sampling temperature (default: the provider default)' },
    'max-tokens': { type: 'string', value: '<n>', description: 'Maximum reply tokens' },
    'timeout-ms': { type: 'string', value: '<ms>', description: 'Timeout of each call', default: '120000' },
    retries: { type: 'string', value: '<n>', description: 'Re-asks after an unusable reply', default: '2' },
    'http-retries': { type: 'string', value: '<n>', description: 'Retries of a call after 429, 5xx, timeout or network error', default: '4' },
    'strict-replies': { type: 'boolean', description: 'Accept only replies in the exact form asked for' },
    'cache-dir': { type: 'string', value: '<dir>', description: 'Judge-call cache (default JUDGEKIT_CACHE_DIR, else ~/.cache/judgekit)' },
    prices: { type: 'string', value: '<file>', description: 'JSON price table {"provider:model": {"input": usdPer1M, "output": usdPer1M}} added to the built-in one, for the cost per item' },
    plugin: { type: 'string', multiple: true, value: '<module>', description: 'Load a judge or provider plugin; repeatable' },
    'force-lock': FORCE_LOCK_OPTION,
  },

  async run(args, io) {
    const datasetOption = stringOption(args, 'dataset');
    if (!datasetOption) throw new JudgekitError('usage', '--dataset is required: an Alpaca-format JSON/JSONL file or URL whose `output` fields are the reference answers.');
    const outOption = stringOption(args, 'out');
    if (!outOption) throw new JudgekitError('usage', '--out <dir> is required: the directory to write.');
    if (args.positionals.length > 0) throw new JudgekitError('usage', `Unexpected argument "${args.positionals[0]}": calibrate builds its own answers from --dataset.`);
    const judgeSpecs = [...new Set(listOption(args.values.judge))];
    if (judgeSpecs.length === 0) throw new JudgekitError('usage', '--judge <provider>:<model> is required (repeatable), e.g. --judge openai:gpt-4o-mini.');
    const modes = [...new Set(listOption(args.values.mode))];
    if (modes.length === 0) modes.push('single');
    const { registry } = await assembleJudgekit({ plugins: (args.values.plugin as string[] | undefined) ?? [], baseDir: io.cwd });
    const available = CALIBRATE_MODES.filter((mode) => registry.has('judge', mode));
    for (const mode of modes) {
      if (!(available as readonly string[]).includes(mode)) throw new JudgekitError('usage', `Unsupported --mode "${mode}" for calibrate. Should be one of: ${available.join(', ')}.`);
    }
    const seed = integerOption(args, 'seed', 123) as number;
    const items = integerOption(args, 'items', undefined, 1);
    const repeats = integerOption(args, 'repeats', 1, 1) as number;
    const resamples = integerOption(args, 'resamples', 2000, 100) as number;
    const concurrency = integerOption(args, 'concurrency', 4, 1) as number;
    const timeoutMs = integerOption(args, 'timeout-ms', 120_000, 1) as number;
    const retries = integerOption(args, 'retries', 2, 0) as number;
    const httpRetries = integerOption(args, 'http-retries', 4, 0) as number;
    const maxTokens = integerOption(args, 'max-tokens', undefined, 1);
    const temperatureRaw = stringOption(args, 'temperature');
    const temperature = temperatureRaw === undefined ? undefined : Number(temperatureRaw);
    if (temperature !== undefined && (!Number.isFinite(temperature) || temperature < 0)) throw new JudgekitError('usage', `--temperature must be a number >= 0, got "${temperatureRaw}".`);
    const api = stringOption(args, 'api') ?? 'chat';
    if (api !== 'chat' && api !== 'responses') throw new JudgekitError('usage', `Unsupported --api "${api}". Should be one of: chat, responses.`);
    const baseURL = stringOption(args, 'base-url');
    const cacheDir = resolve(io.cwd, stringOption(args, 'cache-dir') ?? defaultCacheDir(io.env));
    const outDir = resolve(io.cwd, outOption);
    let prices: PriceTable = DEFAULT_PRICES;
    const pricesFile = stringOption(args, 'prices');
    if (pricesFile) prices = { ...DEFAULT_PRICES, ...(await loadPriceTable(resolve(io.cwd, pricesFile))) };

    for (const spec of judgeSpecs) {
      const { provider } = parseProviderModel(spec, '--judge', 'usage');
      if (!registry.has('chat-provider', provider)) throw new JudgekitError('usage', `Unsupported judge provider "${provider}" in --judge ${spec}. Should be one of: ${registry.describeAvailable('chat-provider')}.`);
    }

    // The known-quality set, written out so every answer a judge saw can be read back.
    const { loadAlpacaDataset, isUrl } = await import('@judgekit/datasets');
    const dataset = await loadAlpacaDataset({ location: isUrl(datasetOption) ? datasetOption : resolve(io.cwd, datasetOption) });
    const set = buildKnownQualitySet(dataset.records, { seed, ...(items !== undefined ? { items } : {}), wrongFluent: args.values['wrong-fluent'] === true });
    const answersDir = join(outDir, 'answers');
    await mkdir(answersDir, { recursive: true });
    // One process per directory: a second one would pay for the same calls and mix its writes in.
    const lock = await lockRunDirectory(outDir, 'calibrate', args, io);
    const judged: Array<{ name: string; spec: string; mode: string }> = [];
    let calibration: CalibrationFile;
    let markdown: string;
    try {
      const files: string[] = [];
      for (const model of knownQualityAnswers(set)) {
        const file = join(answersDir, `${model.name}-ift-test-results.json`);
        await writeFileAtomic(file, `${JSON.stringify(model.records, null, 2)}\n`);
        files.push(file);
      }
      await writeFileAtomic(join(outDir, 'known-quality-set.json'), `${JSON.stringify(describeSet(set, datasetOption), null, 2)}\n`);
      const answers = await loadAnswerFiles(files);
      for (const spec of judgeSpecs) {
        for (const mode of modes) {
          const name = calibrationJudgeName(mode, spec);
          assertPathSafeName(name, `--judge ${spec}`);
          const assembled = assembleJudge(
            name,
            {
              mode,
              judge: spec,
              api,
              ...(baseURL ? { baseURL } : {}),
              concurrency,
              timeoutMs,
              httpRetries,
              retries,
              ...(temperature !== undefined ? { temperature } : {}),
              orderSeed: seed,
              ...(maxTokens !== undefined ? { maxTokens } : {}),
              strictReplies: args.values['strict-replies'] === true,
            },
            { registry, env: io.env, cacheDir, at: { path: '--judge' }, errorKind: 'usage' },
          );
          const summary = await new JudgeRunner().run({
            answers,
            judge: assembled.judge,
            outDir: join(outDir, 'judges', name),
            sharedDir: outDir,
            judgeName: name,
            repeats,
            itemsInFlight: concurrency + 2,
            calls: assembled.calls,
            ...(assembled.provider ? { provider: assembled.provider } : {}),
            prices,
            seed,
            ...(io.signal ? { signal: io.signal } : {}),
            progress: { stream: io.stderr as NodeJS.WriteStream },
            notify: (message: string) => io.stderr.write(`judgekit calibrate: ${scrubSecrets(message)}\n`),
            config: { command: 'calibrate', mode, judge: spec, api, concurrency, seed, repeats, temperature: temperature ?? null, maxTokens: maxTokens ?? null, timeoutMs, retries, httpRetries, cacheDir, dataset: datasetOption, items: set.items.length, wrongFluent: args.values['wrong-fluent'] === true },
          });
          if (summary.interrupted) {
            io.stderr.write('judgekit calibrate: interrupted; rerun the same command to finish the missing judgments.\n');
            return 130;
          }
          judged.push({ name, spec, mode });
        }
      }
      calibration = await summarize(outDir, set, judged, prices, { resamples, seed }, datasetOption);
      const { formatCalibrationMarkdown } = await import('@judgekit/report');
      markdown = formatCalibrationMarkdown(calibration);
      await writeFileAtomic(join(outDir, 'calibration.json'), `${JSON.stringify(calibration, null, 2)}\n`);
      await writeFileAtomic(join(outDir, 'calibration.md'), markdown);
    } finally {
      lock.release();
    }
    io.stdout.write(`\n${markdown}\nWrote ${join(outDir, 'calibration.json')} and ${join(outDir, 'calibration.md')}\n`);
    const unscored = calibration.judges.filter((judge) => judge.accuracy.pairs === 0);
    if (unscored.length > 0) {
      io.stderr.write(`judgekit calibrate: ${unscored.map((judge) => judge.judge).join(', ')} scored no known-ordered pair; see the \`judge.failure\` fields under ${join(outDir, 'judges')} (often a wrong key, model name or base URL).\n`);
      return 1;
    }
    return 0;
  },
};

function describeSet(set: KnownQualitySet, dataset: string): Record<string, unknown> {
  return {
    dataset,
    seed: set.seed,
    levels: set.levels,
    knownOrder: KNOWN_ORDER_TEXT,
    skipped: set.skipped,
    items: set.items.map((item) => ({ source: item.source, unit: item.unit, units: item.units, kept: item.kept, otherItem: item.otherItem, ...(item.similarItem ? { similarItem: item.similarItem } : {}), known: item.known })),
  };
}

/** A pairwise judge's verdicts per item (all repeats), as level indices. */
function levelComparisons(records: readonly JudgmentRecord[], levels: readonly string[], items: number): LevelComparison[][] {
  const index = new Map(levels.map((level, l) => [level, l]));
  const out: LevelComparison[][] = Array.from({ length: items }, () => []);
  for (const record of records) {
    const list = (record as { comparisons?: Array<{ a: string; b: string; winner: 'A' | 'B' | 'tie' | null }> }).comparisons ?? [];
    for (const c of list) {
      const a = index.get(c.a);
      const b = index.get(c.b);
      if (a !== undefined && b !== undefined && record.index < items) out[record.index]!.push({ a, b, winner: c.winner });
    }
  }
  return out;
}

async function judgeCost(outDir: string, name: string, provider: string, model: string, prices: PriceTable): Promise<CalibrationCost> {
  const spent = totalSpend((await SpendLog.read(join(outDir, 'judges', name, 'spend.jsonl'))).values());
  const price = findPrice(prices, provider, model);
  return { requests: spent.requests, promptTokens: spent.tokenUsage.prompt, completionTokens: spent.tokenUsage.completion, usd: price ? spendCostUsd(spent, price) : spent.requests === 0 ? 0 : null };
}

/** Every judge's calibration (and the panel's, with two or more judges) from the run's judgments. */
async function summarize(outDir: string, set: KnownQualitySet, judged: ReadonlyArray<{ name: string }>, prices: PriceTable, bootstrap: { resamples: number; seed: number }, dataset: string): Promise<CalibrationFile> {
  const log = await new JsonlLog<JudgmentRecord>(runFile(outDir, 'judgments')).read();
  const wanted = new Set(judged.map((judge) => judge.name));
  const known = knownTierMatrix(set);
  const records = [...log.entries.values()].filter((record) => wanted.has(record.judge));
  const scores = collectJudgeScores(
    records,
    set.levels,
    set.items.map((_, i) => i),
  );
  const judges: JudgeCalibration[] = [];
  for (const judge of scores) {
    const comparisons = judge.mode === 'pairwise' ? levelComparisons(records.filter((record) => record.judge === judge.judge), set.levels, set.items.length) : undefined;
    judges.push(calibrateJudge(judge, known, { bootstrap, cost: await judgeCost(outDir, judge.judge, judge.provider, judge.model, prices), ...(comparisons ? { comparisons } : {}) }));
  }
  let panel: CalibrationFile['panel'];
  if (scores.length >= 2) {
    const combined = panelScores(scores, judges.map((judge) => judge.accuracy.value), bootstrap);
    if (combined) {
      const calibration = calibrateScores({ judge: 'panel', mode: 'panel', provider: 'panel', model: combined.members.map((member) => member.judge).join('+'), models: set.levels, items: set.items.map((_, i) => i), means: combined.means }, known, { bootstrap });
      panel = { members: combined.members, calibration, inSample: true };
    }
  }
  return {
    tool: 'judgekit',
    kind: 'calibration',
    version: 1,
    dataset,
    seed: set.seed,
    items: set.items.length,
    levels: set.levels,
    knownOrder: KNOWN_ORDER_TEXT,
    weighting: 'max(accuracy − 0.5, 0), normalised over the members',
    judges,
    ...(panel ? { panel } : {}),
  };
}

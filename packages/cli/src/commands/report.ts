// `judgekit report <run-dir>`: write report.html (self-contained) and report.md, and print the Markdown summary.
import { defaultCacheDir, DiskCache, JudgekitError, parseProviderModel, type CategoryTagger, type LengthUnit, type PriceTable } from '@judgekit/core';
import { assembleJudgekit } from '../builtin-plugins.js';
import { resolve } from 'node:path';
import { integerOption, stringOption, type CliCommand } from '../cli-command.js';

/** `--price NAME=IN/OUT` (USD per million prompt/completion tokens) into a price table (the judge command's format). */
export function parsePrices(values: readonly string[]): PriceTable {
  const out: PriceTable = {};
  for (const value of values) {
    const match = /^(.+)=([\d.]+)\/([\d.]+)$/.exec(value);
    if (!match) throw new JudgekitError('usage', `--price "${value}" is not NAME=IN/OUT, e.g. --price gpt-5.1=1.25/10 (USD per million prompt/completion tokens).`);
    out[match[1] as string] = { input: Number(match[2]), output: Number(match[3]) };
  }
  return out;
}

/** `--tagger rules` or `--tagger <provider>:<model>` (an LLM tagger through a loaded chat-model provider). */
async function createTagger(spec: string, env: NodeJS.ProcessEnv, cwd: string): Promise<CategoryTagger | undefined> {
  if (spec === 'rules') return undefined;
  if (!spec.includes(':')) throw new JudgekitError('usage', `--tagger must be "rules" or <provider>:<model>, e.g. openai:gpt-4o-mini; got "${spec}".`);
  const { provider: providerId, model } = parseProviderModel(spec, '--tagger', 'usage');
  const { registry } = await assembleJudgekit({ baseDir: cwd });
  if (!registry.has('chat-provider', providerId)) throw new JudgekitError('usage', `Unsupported --tagger provider "${providerId}". Should be one of: ${registry.describeAvailable('chat-provider')}.`);
  const { LlmCategoryTagger } = await import('@judgekit/report');
  return new LlmCategoryTagger({ provider: registry.get('chat-provider', providerId).create({ env }), model, cache: new DiskCache(defaultCacheDir(env)) });
}

export const command: CliCommand = {
  name: 'report',
  summary: 'Analyse a run directory: scores with CIs, judge reliability, position and length bias, loss vs score; writes report.html and report.md',
  usage: 'judgekit report <run-dir> [options]',
  options: {
    out: { type: 'string', short: 'o', value: '<dir>', description: 'Directory for report.html and report.md (default: the run directory)' },
    title: { type: 'string', value: '<text>', description: 'Report title' },
    'length-unit': { type: 'string', value: '<words|characters>', description: 'Answer length unit for the length-bias statistics', default: 'words' },
    price: { type: 'string', multiple: true, value: '<judge=in/out>', description: 'USD per million prompt/completion tokens for a judge name or judge model, for the cost column' },
    resamples: { type: 'string', value: '<n>', description: 'Bootstrap resamples', default: '2000' },
    seed: { type: 'string', value: '<n>', description: 'Bootstrap seed', default: '20240601' },
    tagger: { type: 'string', value: '<rules|provider:model>', description: 'Category tagger for the per-category breakdown: keyword rules, or a chat model (e.g. openai:gpt-4o-mini; falls back to the rules per item)', default: 'rules' },
    'no-categories': { type: 'boolean', description: 'Skip the per-category breakdown' },
    quiet: { type: 'boolean', short: 'q', description: 'Do not print the Markdown summary' },
    compare: { type: 'string', value: '<run-dir>', description: 'Another run directory to set beside this one: per model score difference (this run minus that one) with paired bootstrap CIs, and the items that changed' },
    calibration: { type: 'string', value: '<file>', description: "calibration.json from `judgekit calibrate`: each judge's accuracy on answers of known quality beside its scores, and the accuracy-weighted panel (default: the run directory's calibration.json, if any)" },
  },
  async run(args, io) {
    const [dir, ...extra] = args.positionals;
    if (dir === undefined || extra.length > 0) throw new JudgekitError('usage', 'Give exactly one run directory: judgekit report <run-dir>.');
    const unit = stringOption(args, 'length-unit') ?? 'words';
    if (unit !== 'words' && unit !== 'characters') throw new JudgekitError('usage', `--length-unit must be "words" or "characters", got "${unit}".`);
    const prices = args.values.price;
    const { writeRunReport } = await import('@judgekit/report');
    const out = stringOption(args, 'out');
    const title = stringOption(args, 'title');
    const tagger = args.values['no-categories'] === true ? null : await createTagger(stringOption(args, 'tagger') ?? 'rules', io.env, io.cwd);
    const report = await writeRunReport(resolve(io.cwd, dir), {
      ...(out ? { outDir: resolve(io.cwd, out) } : {}),
      ...(title ? { title } : {}),
      lengthUnit: unit as LengthUnit,
      ...(Array.isArray(prices) && prices.length > 0 ? { pricing: parsePrices(prices) } : {}),
      resamples: integerOption(args, 'resamples', 2000, 100) as number,
      seed: integerOption(args, 'seed', 20240601) as number,
      ...(tagger !== undefined ? { tagger } : {}),
      ...(io.signal ? { signal: io.signal } : {}),
      ...(stringOption(args, 'compare') ? { compare: resolve(io.cwd, stringOption(args, 'compare') as string) } : {}),
      ...(stringOption(args, 'calibration') ? { calibration: resolve(io.cwd, stringOption(args, 'calibration') as string) } : {}),
    });
    if (args.values.quiet !== true) io.stdout.write(`${report.markdown}\n`);
    io.stdout.write(`Wrote ${report.files.join(' and ')}\n`);
    return 0;
  },
};

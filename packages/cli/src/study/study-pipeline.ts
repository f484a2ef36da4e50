// `judgekit run <study.json>`: loss -> fine-tune -> generate -> judge -> results -> report for N models, as
// pipeline stages over one run directory. Each stage resumes from what is on disk; a finished run does nothing.
import {
  encodeLogLine,
  JsonlLog,
  JudgekitError,
  pathExists,
  loadAnswerFiles,
  Pipeline,
  runFile,
  splitDataset,
  writeFileAtomic,
  writeJsonAtomic,
  type AlpacaRecord,
  type JudgeSummary,
  type JudgmentRecord,
  type LoadedStudyConfig,
  type RunLosses,
  type RunResults,
  type Stage,
  type StageContext,
  type StudyConfig,
} from '@judgekit/core';
import { isUrl, loadAlpacaDataset } from '@judgekit/datasets';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ConfiguredJudge } from './study-judges.js';

export interface StudyModel {
  name: string;
  checkpoint?: string;
  config?: string;
  answers?: string;
}

export interface StudyDataset {
  source: string;
  sha256: string;
  records: AlpacaRecord[];
  test: AlpacaRecord[];
  sizes: { train: number; test: number; validation: number };
}

export interface StudyEnvironment {
  loaded: LoadedStudyConfig;
  runDir: string;
  judges: ConfiguredJudge[];
  device?: 'auto' | 'cpu' | 'cuda' | 'webgpu';
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Progress lines on stderr (default: TTY outside CI). */
  progress?: boolean;
}

function resolvePath(loaded: LoadedStudyConfig, path: string): string {
  return resolve(loaded.baseDir, path);
}

export function studyModels(loaded: LoadedStudyConfig): StudyModel[] {
  return (loaded.config.models ?? []).map((model) => ({
    name: model.name,
    ...(model.checkpoint ? { checkpoint: resolvePath(loaded, model.checkpoint) } : {}),
    ...(model.config ? { config: resolvePath(loaded, model.config) } : {}),
    ...(model.answers ? { answers: resolvePath(loaded, model.answers) } : {}),
  }));
}

/** Loads the dataset once per process (downloads are cached on disk with their checksum). */
export class StudyDatasetSource {
  #dataset: Promise<StudyDataset> | undefined;
  constructor(private readonly loaded: LoadedStudyConfig) {}

  get(): Promise<StudyDataset> {
    this.#dataset ??= this.#load();
    return this.#dataset;
  }

  async #load(): Promise<StudyDataset> {
    const config = this.loaded.config.dataset;
    if (!config) throw new JudgekitError('config', `${this.loaded.file}: models without "answers" need a "dataset" to fine-tune and generate from.`);
    const location = isUrl(config.location) ? config.location : resolvePath(this.loaded, config.location);
    const loaded = await loadAlpacaDataset({ location, ...(config.sha256 ? { sha256: config.sha256 } : {}), ...(this.loaded.config.cacheDir ? { cacheDir: join(resolvePath(this.loaded, this.loaded.config.cacheDir), 'datasets') } : {}) });
    const split = splitDataset(loaded.records, config.split ?? {});
    const test = config.limit !== undefined ? split.test.slice(0, config.limit) : split.test;
    return {
      source: loaded.source,
      sha256: loaded.sha256,
      records: loaded.records,
      test,
      sizes: { train: split.train.length, test: split.test.length, validation: split.validation.length },
    };
  }
}

/** Where a model's answers are: given in the config, or generated into the run directory. */
export function answerPath(runDir: string, model: StudyModel): string {
  return model.answers ?? join(runDir, 'answers', `${model.name}-ift-test-results.json`);
}

class DatasetStage implements Stage {
  readonly name = 'dataset';
  constructor(private readonly env: StudyEnvironment, private readonly dataset: StudyDatasetSource) {}
  fingerprint(): unknown {
    return this.env.loaded.config.dataset ?? null;
  }
  async run(context: StageContext): Promise<void> {
    const dataset = await this.dataset.get();
    await writeJsonAtomic(join(context.runDir, 'dataset.json'), { source: dataset.source, sha256: dataset.sha256, records: dataset.records.length, split: dataset.sizes, testItems: dataset.test.length });
    context.log(`dataset: ${dataset.records.length} records (sha256 ${dataset.sha256.slice(0, 12)}...), split ${dataset.sizes.train}/${dataset.sizes.test}/${dataset.sizes.validation}, ${dataset.test.length} test items used`);
  }
}

class LossStage implements Stage {
  readonly name = 'loss';
  constructor(private readonly env: StudyEnvironment, private readonly models: StudyModel[]) {}
  fingerprint(): unknown {
    return { loss: this.env.loaded.config.loss, models: this.models.map((m) => [m.name, m.checkpoint]) };
  }
  async run(context: StageContext): Promise<void> {
    const config = this.env.loaded.config.loss as NonNullable<StudyConfig['loss']>;
    const { createGpt2LikelihoodModel, openTokenSource, computeTestLoss } = await import('@judgekit/backends');
    const log = new JsonlLog<RunLosses['models'][number]>(join(context.runDir, 'loss.jsonl'));
    const { entries } = await log.read();
    const source = await openTokenSource(resolvePath(this.env.loaded, config.data));
    for (const model of this.models) {
      if (!model.checkpoint || entries.has(model.name)) continue;
      const likelihood = await createGpt2LikelihoodModel(model.checkpoint, { ...(model.config ? { configPath: model.config } : {}), ...(this.env.device ? { device: this.env.device } : {}) });
      try {
        const result = await computeTestLoss(likelihood, source, {
          ...(config.contextLength !== undefined ? { contextLength: config.contextLength } : {}),
          ...(config.batchSize !== undefined ? { batchSize: config.batchSize } : {}),
          ...(config.stride !== undefined ? { stride: config.stride } : {}),
          ...(config.startToken !== undefined ? { startToken: config.startToken } : {}),
          ...(config.batches !== undefined ? { batches: config.batches } : {}),
        });
        const row = { name: model.name, loss: result.loss, tokens: result.tokens, protocol: result.protocol as unknown as Record<string, unknown> };
        await log.append(model.name, row);
        entries.set(model.name, row);
        context.log(`loss ${model.name}: ${result.loss.toFixed(3)} over ${result.tokens} tokens`);
      } finally {
        await likelihood.dispose();
      }
    }
    const losses: RunLosses = { models: this.models.flatMap((m) => (entries.has(m.name) ? [entries.get(m.name) as RunLosses['models'][number]] : [])) };
    await writeJsonAtomic(runFile(context.runDir, 'loss'), losses);
  }
}

class FinetuneStage implements Stage {
  readonly name = 'finetune';
  constructor(private readonly env: StudyEnvironment, private readonly models: StudyModel[], private readonly dataset: StudyDatasetSource) {}
  fingerprint(): unknown {
    return { finetune: this.env.loaded.config.finetune, dataset: this.env.loaded.config.dataset, models: this.models.map((m) => [m.name, m.checkpoint]) };
  }
  async run(context: StageContext): Promise<void> {
    const config = this.env.loaded.config.finetune ?? {};
    const { finetune } = await import('@judgekit/backends');
    const dataset = await this.dataset.get();
    for (const model of this.models) {
      if (!model.checkpoint || model.answers) continue;
      const result = await finetune({
        checkpoint: model.checkpoint,
        ...(model.config ? { configPath: model.config } : {}),
        records: dataset.records,
        ...(this.env.loaded.config.dataset?.split ? { split: this.env.loaded.config.dataset.split } : {}),
        outDir: context.runDir,
        name: model.name,
        recipe: {
          ...(config.batchSize !== undefined ? { batchSize: config.batchSize } : {}),
          ...(config.gradientAccumulation !== undefined ? { gradientAccumulation: config.gradientAccumulation } : {}),
          ...(config.maskPrompt !== undefined ? { maskPrompt: config.maskPrompt } : {}),
          ...(config.seed !== undefined ? { seed: config.seed } : {}),
          ...(config.maxLength !== undefined ? { maxLength: config.maxLength } : {}),
          ...(config.epochs !== undefined ? { stopping: { kind: 'fixed' as const, epochs: config.epochs } } : { stopping: { kind: 'early' as const, maxEpochs: config.maxEpochs ?? 100 } }),
          ...(config.learningRate !== undefined || config.weightDecay !== undefined
            ? { optimizer: { ...(config.learningRate !== undefined ? { lr: config.learningRate } : {}), ...(config.weightDecay !== undefined ? { weightDecay: config.weightDecay } : {}) } as never }
            : {}),
        },
        ...(typeof this.env.loaded.config.dataset?.template === 'string' || typeof this.env.loaded.config.dataset?.template === 'object' ? { template: this.env.loaded.config.dataset.template as never } : {}),
        ...(this.env.device ? { device: this.env.device } : {}),
        log: (line: string) => context.log(`finetune ${model.name}: ${line}`),
        ...(this.env.progress !== undefined ? { progress: this.env.progress } : {}),
        ...(context.signal ? { signal: context.signal } : {}),
      });
      context.log(`finetune ${model.name}: best epoch ${result.bestEpoch} of ${result.epochs.length}${result.stoppedEarly ? ' (stopped early)' : ''}`);
    }
  }
}

/** The weights to generate with: the fine-tuned ones when the study fine-tunes, else the checkpoint itself. */
export function generationWeights(env: StudyEnvironment, runDir: string, model: StudyModel): { path: string; config?: string } | undefined {
  if (!model.checkpoint) return undefined;
  if (env.loaded.config.finetune) {
    const dir = join(runDir, 'finetune', model.name);
    return { path: join(dir, 'model.safetensors'), config: join(dir, 'config.json') };
  }
  return { path: model.checkpoint, ...(model.config ? { config: model.config } : {}) };
}

class GenerateStage implements Stage {
  readonly name = 'generate';
  constructor(private readonly env: StudyEnvironment, private readonly models: StudyModel[], private readonly dataset: StudyDatasetSource) {}
  fingerprint(): unknown {
    return { generation: this.env.loaded.config.generation, finetune: this.env.loaded.config.finetune, dataset: this.env.loaded.config.dataset, models: this.models.map((m) => [m.name, m.checkpoint]) };
  }
  async run(context: StageContext): Promise<void> {
    const config = this.env.loaded.config.generation ?? {};
    const { openGenerativeModel, generateAnswers } = await import('@judgekit/backends');
    const dataset = await this.dataset.get();
    for (const model of this.models) {
      if (model.answers) continue;
      const weights = generationWeights(this.env, context.runDir, model);
      if (!weights) continue;
      const generative = await openGenerativeModel(weights.path, {
        ...(weights.config ? { configPath: weights.config } : {}),
        ...(this.env.device ? { device: this.env.device } : {}),
        ...(config.batchSize !== undefined ? { batchSize: config.batchSize } : {}),
      });
      try {
        const result = await generateAnswers({
          model: generative,
          records: dataset.test,
          out: join(context.runDir, 'answers'),
          name: model.name,
          modelId: weights.path,
          ...(this.env.loaded.config.dataset?.template !== undefined ? { template: this.env.loaded.config.dataset.template as never } : {}),
          ...(config.batchSize !== undefined ? { batchSize: config.batchSize } : {}),
          ...(config.maxNewTokens !== undefined ? { maxNewTokens: config.maxNewTokens } : {}),
          ...(config.temperature !== undefined ? { temperature: config.temperature } : {}),
          ...(config.topK !== undefined ? { topK: config.topK } : {}),
          ...(config.topP !== undefined ? { topP: config.topP } : {}),
          ...(config.seed !== undefined ? { seed: config.seed } : {}),
          ...(this.env.progress !== undefined ? { progress: this.env.progress } : {}),
          ...(context.signal ? { signal: context.signal } : {}),
        });
        context.log(`generate ${model.name}: ${result.generated} answers generated, ${result.resumed} resumed`);
      } finally {
        await generative.dispose();
      }
    }
  }
}

class JudgeStage implements Stage {
  readonly name: string;
  constructor(private readonly env: StudyEnvironment, private readonly models: StudyModel[], private readonly configured: ConfiguredJudge) {
    this.name = `judge:${configured.name}`;
  }
  fingerprint(): unknown {
    return { judge: this.configured.config, template: this.env.loaded.config.dataset?.template ?? 'book', models: this.models.map((m) => [m.name, m.answers ?? m.checkpoint]) };
  }
  async run(context: StageContext): Promise<void> {
    const { JudgeRunner } = await import('@judgekit/judges');
    const files = this.models.map((model) => answerPath(context.runDir, model));
    const answers = await loadAnswerFiles(files);
    // Display names come from the config, not the file names.
    answers.forEach((answer, index) => (answer.name = (this.models[index] as StudyModel).name));
    const config = this.configured.config;
    const template = this.env.loaded.config.dataset?.template;
    const summary = await new JudgeRunner().run({
      answers,
      judge: this.configured.judge,
      outDir: judgeDir(context.runDir, this.configured.name),
      judgeName: this.configured.name,
      ...(typeof template === 'string' ? { template } : template ? { template: template as never } : {}),
      repeats: config.repeats ?? 1,
      itemsInFlight: 2 * (config.concurrency ?? 4),
      ...(config.aggregate ? { aggregate: config.aggregate } : {}),
      calls: this.configured.calls,
      ...(this.configured.provider ? { provider: this.configured.provider } : {}),
      seed: this.env.loaded.config.seed ?? 123,
      ...(context.signal ? { signal: context.signal } : {}),
      progress: { ...(this.env.progress !== undefined ? { enabled: this.env.progress } : {}), stream: this.env.stderr as NodeJS.WriteStream },
      notify: (message: string) => context.log(`judge ${this.configured.name}: ${message}`),
      config: { judge: { ...config }, study: this.env.loaded.file },
    });
    if (summary.interrupted) throw new JudgekitError('internal', `judge ${this.configured.name} was interrupted; rerun to finish it.`);
  }
}

export function judgeDir(runDir: string, judgeName: string): string {
  return join(runDir, 'judges', judgeName);
}

/** Merges every judge's results and the losses into the run directory's own results, the study's table. */
class ResultsStage implements Stage {
  readonly name = 'results';
  constructor(private readonly env: StudyEnvironment, private readonly models: StudyModel[]) {}
  fingerprint(): unknown {
    // Always rebuilt when an earlier stage reran: the pipeline reruns it because its inputs' fingerprints are included.
    return { judges: this.env.judges.map((j) => j.config), loss: this.env.loaded.config.loss ?? null, models: this.models };
  }
  async run(context: StageContext): Promise<void> {
    const results = await mergeStudyResults(context.runDir, this.models.map((m) => m.name), this.env.judges.map((j) => j.name));
    this.env.stdout.write(`\n${formatStudyTable(results)}\n`);
  }
}

export async function mergeStudyResults(runDir: string, modelNames: readonly string[], judgeNamesInOrder: readonly string[]): Promise<RunResults> {
  const losses = (await pathExists(runFile(runDir, 'loss'))) ? (JSON.parse(await readFile(runFile(runDir, 'loss'), 'utf8')) as RunLosses) : { models: [] };
  const perJudge: Array<{ name: string; results: RunResults }> = [];
  const lines: string[] = [];
  for (const name of judgeNamesInOrder) {
    const dir = judgeDir(runDir, name);
    perJudge.push({ name, results: JSON.parse(await readFile(runFile(dir, 'results'), 'utf8')) as RunResults });
    const { entries } = await new JsonlLog<JudgmentRecord>(runFile(dir, 'judgments')).read();
    for (const [key, value] of entries) lines.push(encodeLogLine(key, value));
  }
  if (perJudge.length > 0) {
    await writeFileAtomic(runFile(runDir, 'items'), await readFile(runFile(judgeDir(runDir, judgeNamesInOrder[0] as string), 'items')));
  }
  await writeFileAtomic(runFile(runDir, 'judgments'), lines.join(''));
  const results: RunResults = {
    models: modelNames.map((name) => {
      const judges: Record<string, JudgeSummary> = {};
      for (const { name: judgeName, results: judged } of perJudge) {
        const row = judged.models.find((model) => model.name === name);
        if (row) judges[judgeName] = { score: row.score, ci95: row.ci95, scored: row.scored, failed: row.failed };
      }
      const primary = Object.values(judges)[0] ?? { score: Number.NaN, ci95: [Number.NaN, Number.NaN] as [number, number], scored: 0, failed: 0 };
      const loss = losses.models.find((model) => model.name === name)?.loss;
      return { name, ...(loss !== undefined ? { loss } : {}), ...primary, judges };
    }),
    judges: perJudge.flatMap(({ results: judged }) => judged.judges),
    items: perJudge[0]?.results.items ?? 0,
  };
  await writeJsonAtomic(runFile(runDir, 'results'), results);
  await writeFileAtomic(runFile(runDir, 'resultsMarkdown'), formatStudyTable(results));
  await writeFileAtomic(runFile(runDir, 'resultsCsv'), formatStudyCsv(results));
  return results;
}

function fixed(value: number | undefined, digits: number): string {
  return value !== undefined && Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

/** The study's table: model, test loss, one score column per judge (with its 95% CI). */
export function formatStudyTable(results: RunResults): string {
  const judges = results.judges.map((judge) => judge.name);
  const header = ['model', 'test loss', ...judges.map((name) => `${name} score`), ...judges.map((name) => `${name} 95% CI`)];
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`];
  for (const model of results.models) {
    const cells = [model.name.replace(/\|/g, '\\|'), fixed(model.loss, 3)];
    for (const judge of judges) cells.push(fixed(model.judges?.[judge]?.score, 2));
    for (const judge of judges) {
      const ci = model.judges?.[judge]?.ci95;
      cells.push(ci ? `${fixed(ci[0], 1)}-${fixed(ci[1], 1)}` : 'n/a');
    }
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}

export function formatStudyCsv(results: RunResults): string {
  const judges = results.judges.map((judge) => judge.name);
  const header = ['model', 'test_loss', ...judges.flatMap((name) => [`${name}_score`, `${name}_ci95_low`, `${name}_ci95_high`, `${name}_scored`, `${name}_failed`])];
  const number = (value: number | undefined): string => (value !== undefined && Number.isFinite(value) ? String(value) : '');
  const field = (value: string): string => (/[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
  const lines = [header.join(',')];
  for (const model of results.models) {
    const cells = [field(model.name), number(model.loss)];
    for (const judge of judges) {
      const summary = model.judges?.[judge];
      cells.push(number(summary?.score), number(summary?.ci95[0]), number(summary?.ci95[1]), summary ? String(summary.scored) : '', summary ? String(summary.failed) : '');
    }
    lines.push(cells.join(','));
  }
  return `${lines.join('\n')}\n`;
}

class ReportStage implements Stage {
  readonly name = 'report';
  constructor(private readonly env: StudyEnvironment) {}
  fingerprint(): unknown {
    return { judges: this.env.judges.map((j) => j.config), loss: this.env.loaded.config.loss ?? null, models: this.env.loaded.config.models };
  }
  async run(context: StageContext): Promise<void> {
    const { writeReport } = await import('../report-bridge.js');
    const files = await writeReport(context.runDir);
    context.log(`report: ${files.join(', ')}`);
  }
}

export function buildStudyPipeline(env: StudyEnvironment): Pipeline {
  const config = env.loaded.config;
  const models = studyModels(env.loaded);
  if (models.length === 0) throw new JudgekitError('config', `${env.loaded.file}: "models" must name at least one model.`);
  models.forEach((model, index) => {
    if (!model.checkpoint && !model.answers) throw new JudgekitError('config', `${env.loaded.file}: models[${index}] ("${model.name}") needs a "checkpoint" or an "answers" file.`);
  });
  const dataset = new StudyDatasetSource(env.loaded);
  const needsModels = models.some((model) => model.checkpoint && !model.answers);
  const stages: Stage[] = [];
  if (needsModels) stages.push(new DatasetStage(env, dataset));
  if (config.loss && models.some((model) => model.checkpoint)) stages.push(new LossStage(env, models));
  if (needsModels && config.finetune) stages.push(new FinetuneStage(env, models, dataset));
  if (needsModels) stages.push(new GenerateStage(env, models, dataset));
  for (const judge of env.judges) stages.push(new JudgeStage(env, models, judge));
  if (env.judges.length > 0) {
    stages.push(new ResultsStage(env, models));
    stages.push(new ReportStage(env));
  }
  return new Pipeline(stages);
}

export async function ensureRunDir(runDir: string): Promise<void> {
  await mkdir(runDir, { recursive: true });
}

// The study configuration file: parsed, validated against the JSON Schema shipped in schema/, with errors
// that name the file and the field.
import { Ajv, type ErrorObject } from 'ajv';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JudgekitError } from '../errors.js';
import type { FinetuneRecipe } from '../contracts/finetuning-backend.js';
import type { Device } from '../contracts/device.js';

export interface JudgeConfig {
  name?: string;
  /** `single`, `batched`, `reference`, or a mode a judge plugin adds. */
  mode: 'single' | 'batched' | 'reference' | (string & {});
  judge?: string;
  api?: 'chat' | 'responses';
  temperature?: number;
  seed?: number;
  maxTokens?: number;
  /** A fixed number, or `auto` (see `autoRepeats` and protocol/judging/auto-repeats.ts). */
  repeats?: number | 'auto';
  /** Settings of `repeats: "auto"`: min (2), max (8), targetCiWidth, spendShare (0.8). */
  autoRepeats?: { min?: number; max?: number; targetCiWidth?: number; spendShare?: number };
  concurrency?: number;
  retries?: number;
  timeoutMs?: number;
  aggregate?: 'drop-failed' | 'failed-as-zero';
  wording?: 'book' | 'study';
  emptyAsZero?: boolean;
  /** Read replies only in the exact form the prompt asks for (the book's `int(reply)`); default false (lenient). */
  strictReplies?: boolean;
  /** The judge mode's own options, validated against its schema. */
  options?: Record<string, unknown>;
  /** Options of the provider in `judge`, validated against the provider's schema. */
  providerOptions?: Record<string, unknown>;
  /** `batch-api`: the calls go as provider batches (half price, within 24 h, resumable); default `live`. */
  execution?: 'live' | 'batch-api';
  /** Settings of `execution: "batch-api"`. */
  batch?: { failed?: 'batch' | 'live'; pollMs?: number; maxRounds?: number; maxRequests?: number; maxBytes?: number };
  /**
   * The provider endpoint's limits, shared by every judge of the process that calls the same endpoint: calls
   * then go at an adaptive concurrency (up to `maxInFlight`, else `concurrency`) within these rates.
   */
  rateLimit?: { requestsPerMinute?: number; tokensPerMinute?: number; maxInFlight?: number };
}

/** A reporter by id, or with options. */
export type ReporterConfig = string | { id: string; options?: Record<string, unknown> };

export interface StudyConfig {
  plugins?: string[];
  runDir?: string;
  cacheDir?: string;
  seed?: number;
  device?: Device;
  /** `response`: the field of `answers` to read, for a file holding several models' answers (`model 1 response`). */
  models?: Array<{ name: string; backend?: string; options?: Record<string, unknown>; checkpoint?: string; config?: string; answers?: string; response?: string }>;
  dataset?: {
    /** Dataset plugin id; default `alpaca`. */
    kind?: string;
    location?: string;
    options?: Record<string, unknown>;
    sha256?: string;
    template?: string | { name?: string; prompt: string; input: string; response?: string };
    split?: { train?: number; test?: number; shuffleSeed?: number };
    limit?: number;
  };
  /** Test loss; unset fields take `TEST_LOSS_DEFAULTS` (the study's 1024-token windows, 6 per batch), as `judgekit loss` does. */
  loss?: { data: string; contextLength?: number; batchSize?: number; batches?: number; startToken?: number; stride?: number };
  /** The recipe every fine-tuning backend is asked for. */
  finetune?: FinetuneRecipe;
  generation?: { maxNewTokens?: number; temperature?: number; topK?: number; topP?: number; batchSize?: number; seed?: number };
  judges?: JudgeConfig[];
  reporters?: ReporterConfig[];
}

export interface LoadedStudyConfig {
  config: StudyConfig;
  /** Directory relative paths in the config are resolved against. */
  baseDir: string;
  file: string;
}

let validator: ReturnType<Ajv['compile']> | undefined;
let schemaCache: Record<string, unknown> | undefined;

/** The study config's JSON Schema as shipped (without plugins; see `configSchemaWithPlugins`). */
export function studyConfigSchema(): Record<string, unknown> {
  schemaCache ??= JSON.parse(readFileSync(schemaPath(), 'utf8')) as Record<string, unknown>;
  return schemaCache;
}

function getValidator(): ReturnType<Ajv['compile']> {
  if (!validator) {
    validator = new Ajv({ allErrors: true, strict: false }).compile(studyConfigSchema());
  }
  return validator;
}

function schemaPath(): string {
  // Source layout: src/config/ -> ../../schema; built layout: dist/ -> ../schema.
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [resolve(here, '../../schema/judgekit.schema.json'), resolve(here, '../schema/judgekit.schema.json')]) {
    try {
      readFileSync(candidate);
      return candidate;
    } catch {
      // try the next layout
    }
  }
  throw new JudgekitError('internal', 'judgekit.schema.json is missing from @judgekit/core; reinstall the package.');
}

function describe(error: ErrorObject): string {
  const where = error.instancePath === '' ? '(top level)' : error.instancePath;
  if (error.keyword === 'additionalProperties') {
    return `${where}: unknown field "${(error.params as { additionalProperty: string }).additionalProperty}"`;
  }
  if (error.keyword === 'enum') {
    return `${where}: must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return `${where}: ${error.message ?? error.keyword}`;
}

/** Validate an already-parsed config; `file` names it in errors. */
export function validateStudyConfig(value: unknown, file = '<config>'): StudyConfig {
  const validate = getValidator();
  if (!validate(value)) {
    const problems = (validate.errors ?? []).map(describe);
    throw new JudgekitError('config', `Invalid config ${file}:\n  ${problems.join('\n  ')}`, {
      file,
      location: validate.errors?.[0]?.instancePath || '/',
    });
  }
  return value as StudyConfig;
}

export async function loadStudyConfig(file: string): Promise<LoadedStudyConfig> {
  const absolute = resolve(file);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    throw new JudgekitError('config', `Cannot read config ${absolute}: ${(error as Error).message}`, { file: absolute, cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new JudgekitError('config', `Config ${absolute} is not valid JSON: ${(error as Error).message}`, { file: absolute, cause: error });
  }
  return { config: validateStudyConfig(parsed, absolute), baseDir: dirname(absolute), file: absolute };
}

// Models' answer files: the study's `{name}-ift-test-results.json` (one model, `model_response`), files holding
// several models' answers in `<model> response` columns (the book's `eval-example-data.json`), as a JSON array or
// JSON Lines. Load them checked, and refuse a set that does not answer the same items in the same order, since
// every comparison between models pairs item i with item i.
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { JudgekitError } from '../errors.js';
import type { AnswerRecord, ModelAnswers } from '../contracts/records.js';
import { readStringField, requireArray, requireObject, type RecordLocation } from './json-checks.js';

const RESULTS_SUFFIX = '-ift-test-results';

/** `runs/gpt2-medium-ift-test-results.json` → `gpt2-medium`; `x/answers.jsonl` → `answers`. */
export function modelNameFromFile(path: string): string {
  let name = basename(path);
  const extension = /\.jsonl?$/i.exec(name);
  if (extension) name = name.slice(0, -extension[0].length);
  if (name.endsWith(RESULTS_SUFFIX) && name.length > RESULTS_SUFFIX.length) name = name.slice(0, -RESULTS_SUFFIX.length);
  return name;
}

/** The study's answer field. */
export const MODEL_RESPONSE_FIELD = 'model_response';

/** A column of a file holding several models' answers: `model 1 response` → model `model 1`. */
const RESPONSE_COLUMN = /^(.*\S)\s+response$/i;

/**
 * Largest JSON answer file read, in bytes: 256 MiB, or `JUDGEKIT_MAX_ANSWERS_BYTES`. A JSON file is decoded as one
 * string, and V8 cannot hold one over about 512 MiB; JSON Lines files are read line by line and have no cap.
 */
export const DEFAULT_MAX_ANSWERS_BYTES = 256 * 2 ** 20;

export function answersFileCap(env: NodeJS.ProcessEnv = process.env): number {
  const fromEnv = Number(env.JUDGEKIT_MAX_ANSWERS_BYTES);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_MAX_ANSWERS_BYTES;
}

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

function cannotRead(path: string, error: unknown): JudgekitError {
  const code = (error as NodeJS.ErrnoException).code;
  return new JudgekitError('input', `Cannot read ${path}${code ? ` (${code})` : ''}: check the path.`, { file: path, cause: error });
}

function tooBig(path: string, size: number, cap: number): JudgekitError {
  return new JudgekitError(
    'input',
    `Answer file ${path} is ${mib(size)} (${size} bytes), over the ${mib(cap)} cap for JSON answer files: write it as JSON Lines (.jsonl, one record a line, read line by line without a cap), or raise the cap with JUDGEKIT_MAX_ANSWERS_BYTES=<bytes> if this machine has the memory (a JSON file is read as one string; Node cannot hold one over about 512 MiB).`,
    { file: path },
  );
}

/** The file's records, each with how errors name it: `record i` for a JSON array, `line n` for JSON Lines. */
interface RawRecords {
  items: unknown[];
  labels?: string[];
}

async function readJsonArray(path: string, cap: number): Promise<RawRecords> {
  let size: number;
  try {
    ({ size } = await stat(path));
  } catch (error) {
    throw cannotRead(path, error);
  }
  if (size > cap) throw tooBig(path, size, cap);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    // Only when the cap was raised past what one string can hold.
    if ((error as NodeJS.ErrnoException).code === 'ERR_STRING_TOO_LONG') throw tooBig(path, size, Math.min(cap, size - 1));
    throw cannotRead(path, error);
  }
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    throw new JudgekitError('dataset', `${path}: not valid JSON (${(error as Error).message}).`, { file: path, cause: error });
  }
  return { items: requireArray(value, path, 'answer records ({instruction, input, output, model_response})') };
}

async function readJsonLines(path: string): Promise<RawRecords> {
  const items: unknown[] = [];
  const labels: string[] = [];
  const stream = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let number = 0;
  try {
    for await (const raw of lines) {
      number++;
      const line = number === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      if (line.trim() === '') continue;
      try {
        items.push(JSON.parse(line));
      } catch (error) {
        throw new JudgekitError('dataset', `${path}: line ${number} is not valid JSON (${(error as Error).message}).`, { file: path, location: `line ${number}`, cause: error });
      }
      labels.push(`line ${number}`);
    }
  } catch (error) {
    if (error instanceof JudgekitError) throw error;
    throw cannotRead(path, error);
  } finally {
    lines.close();
    stream.destroy();
  }
  return { items, labels };
}

async function readAnswerRecords(path: string): Promise<RawRecords> {
  return /\.jsonl$/i.test(path) ? readJsonLines(path) : readJsonArray(path, answersFileCap());
}

function locationOf(raw: RawRecords, file: string, index: number): RecordLocation {
  const label = raw.labels?.[index];
  return label === undefined ? { file, index } : { file, index, label };
}

/**
 * The answer columns of a file, from its first record: `model_response`, then every `<model> response` key, in the
 * record's order. An empty file has the study's one column. A first record with neither is refused, naming the keys
 * looked for and the keys it has.
 */
function answerColumns(raw: RawRecords, file: string): string[] {
  if (raw.items.length === 0) return [MODEL_RESPONSE_FIELD];
  const at = locationOf(raw, file, 0);
  const first = requireObject(raw.items[0], at, 'string fields `instruction`, `input`, `output` and `model_response`');
  const keys = Object.keys(first);
  const columns = [...keys.filter((key) => key === MODEL_RESPONSE_FIELD), ...keys.filter((key) => key !== MODEL_RESPONSE_FIELD && RESPONSE_COLUMN.test(key))];
  if (columns.length > 0) return columns;
  const label = at.label ?? `record ${at.index}`;
  throw new JudgekitError(
    'dataset',
    `${file}: ${label} has no \`${MODEL_RESPONSE_FIELD}\` field, nor any \`<model> response\` field (such as \`model 1 response\`, for a file holding several models' answers), so it holds no answer. Its keys: ${keys.length > 0 ? keys.map((key) => `\`${key}\``).join(', ') : 'none'}.`,
    { file, location: `${label}, field ${MODEL_RESPONSE_FIELD}` },
  );
}

/** A column's model name: the file's for `model_response`, else the column without ` response` (`model 1`). */
function columnModelName(file: string, column: string): string {
  return column === MODEL_RESPONSE_FIELD ? modelNameFromFile(file) : (RESPONSE_COLUMN.exec(column)?.[1] ?? column);
}

/** The records as answer records, `column` read as the answer (missing `input` = ""). */
function answerRecords(raw: RawRecords, file: string, column: string): AnswerRecord[] {
  return raw.items.map((item, index) => {
    const at = locationOf(raw, file, index);
    const record = requireObject(item, at, `string fields \`instruction\`, \`input\`, \`output\` and \`${column}\``);
    return {
      instruction: readStringField(record, 'instruction', at),
      input: readStringField(record, 'input', at, true),
      output: readStringField(record, 'output', at),
      model_response: readStringField(record, column, at),
    };
  });
}

function modelAnswers(raw: RawRecords, file: string, column: string, name: string): ModelAnswers {
  return { name, file, ...(column !== MODEL_RESPONSE_FIELD ? { column } : {}), records: answerRecords(raw, file, column) };
}

export interface LoadAnswerFileOptions {
  /** Display name; default the column's model name (`model 1`), or for `model_response` `modelNameFromFile(path)`. */
  name?: string;
  /**
   * The field holding the answer, for a file with several models' answers (e.g. `model 1 response`). Default: the
   * file's only answer column; a file with several is refused, naming them.
   */
  response?: string;
}

/** One model's answers from a file. */
export async function loadAnswerFile(path: string, options: LoadAnswerFileOptions = {}): Promise<ModelAnswers> {
  const raw = await readAnswerRecords(path);
  let column = options.response;
  if (column === undefined) {
    const columns = answerColumns(raw, path);
    if (columns.length > 1) {
      throw new JudgekitError(
        'input',
        `${path} holds several models' answers (${columns.map((key) => `\`${key}\``).join(', ')}): name the field to read (a study's models[].response), or load them all (judgekit judge takes every column as a model).`,
        { file: path },
      );
    }
    column = columns[0] as string;
  }
  return modelAnswers(raw, path, column, options.name ?? columnModelName(path, column));
}

export interface LoadAnswerSetsOptions {
  /** Model names by column (`model 1 response`) or by the column's model name (`model 1`); default the latter. */
  names?: Readonly<Record<string, string>>;
}

/** Every model's answers in a file: one for a `model_response` file, one per `<model> response` column otherwise. */
export async function loadAnswerSets(path: string, options: LoadAnswerSetsOptions = {}): Promise<ModelAnswers[]> {
  const raw = await readAnswerRecords(path);
  return answerColumns(raw, path).map((column) => {
    const name = columnModelName(path, column);
    return modelAnswers(raw, path, column, options.names?.[column] ?? options.names?.[name] ?? name);
  });
}

const ITEM_FIELDS = ['instruction', 'input', 'output'] as const;

function clip(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}

/**
 * Throw unless every model answers the same items in the same order (same count; item i has the same
 * instruction, input and output everywhere) and no two models share a name.
 */
export function assertAnswersAgree(answers: readonly ModelAnswers[]): void {
  const seen = new Map<string, ModelAnswers>();
  for (const model of answers) {
    const other = seen.get(model.name);
    if (other) {
      throw new JudgekitError(
        'input',
        `Two answer sets are both named "${model.name}" (${other.file ?? '?'} and ${model.file ?? '?'}): rename one file so each model has its own name.`,
        { file: model.file },
      );
    }
    seen.set(model.name, model);
  }
  const first = answers[0];
  if (!first) return;
  const firstLabel = first.file ?? first.name;
  for (const model of answers.slice(1)) {
    const label = model.file ?? model.name;
    if (model.records.length !== first.records.length) {
      throw new JudgekitError(
        'input',
        `${label} has ${model.records.length} answers but ${firstLabel} has ${first.records.length}: every answer file must cover the same test items in the same order.`,
        { file: model.file },
      );
    }
    for (let index = 0; index < first.records.length; index++) {
      const a = first.records[index] as AnswerRecord;
      const b = model.records[index] as AnswerRecord;
      for (const field of ITEM_FIELDS) {
        if (a[field] !== b[field]) {
          throw new JudgekitError(
            'input',
            `${label} and ${firstLabel} disagree at item ${index}, field \`${field}\` (${clip(b[field])} vs ${clip(a[field])}): every answer file must cover the same test items in the same order.`,
            { file: model.file, location: `record ${index}, field ${field}` },
          );
        }
      }
    }
  }
}

/**
 * Load several answer files, every model in each (a file with `<model> response` columns gives one model per
 * column), and check that they answer the same items (see `assertAnswersAgree`).
 */
export async function loadAnswerFiles(paths: readonly string[], options: LoadAnswerSetsOptions = {}): Promise<ModelAnswers[]> {
  const answers = (await Promise.all(paths.map((path) => loadAnswerSets(path, options)))).flat();
  assertAnswersAgree(answers);
  return answers;
}

/** Load one model per entry (a study's models: each file, and the field to read where it holds several). */
export async function loadModelAnswers(models: ReadonlyArray<{ path: string; name?: string; response?: string }>): Promise<ModelAnswers[]> {
  const answers = await Promise.all(models.map((model) => loadAnswerFile(model.path, { ...(model.name !== undefined ? { name: model.name } : {}), ...(model.response !== undefined ? { response: model.response } : {}) })));
  assertAnswersAgree(answers);
  return answers;
}

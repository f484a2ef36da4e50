// Models' answer files (`{name}-ift-test-results.json`): load them checked, and refuse a set of files that do not
// answer the same items in the same order, since every comparison between models pairs item i with item i.
import { basename } from 'node:path';
import { JudgekitError } from '../errors.js';
import type { AnswerRecord, ModelAnswers } from '../contracts/records.js';
import { readJsonFile, readStringField, requireArray, requireObject } from './json-checks.js';

const RESULTS_SUFFIX = '-ift-test-results';

/** `runs/gpt2-medium-ift-test-results.json` → `gpt2-medium`; `x/answers.json` → `answers`. */
export function modelNameFromFile(path: string): string {
  let name = basename(path);
  if (name.toLowerCase().endsWith('.json')) name = name.slice(0, -'.json'.length);
  if (name.endsWith(RESULTS_SUFFIX) && name.length > RESULTS_SUFFIX.length) name = name.slice(0, -RESULTS_SUFFIX.length);
  return name;
}

/** Parsed JSON as answer records: `{instruction, input, output, model_response}` (missing `input` = ""). */
function validateAnswerRecords(value: unknown, file: string): AnswerRecord[] {
  const items = requireArray(value, file, 'answer records ({instruction, input, output, model_response})');
  return items.map((item, index) => {
    const at = { file, index };
    const record = requireObject(item, at, 'string fields `instruction`, `input`, `output` and `model_response`');
    return {
      instruction: readStringField(record, 'instruction', at),
      input: readStringField(record, 'input', at, true),
      output: readStringField(record, 'output', at),
      model_response: readStringField(record, 'model_response', at),
    };
  });
}

export interface LoadAnswerFileOptions {
  /** Display name; default `modelNameFromFile(path)`. */
  name?: string;
}

export async function loadAnswerFile(path: string, options: LoadAnswerFileOptions = {}): Promise<ModelAnswers> {
  const records = validateAnswerRecords(await readJsonFile(path), path);
  return { name: options.name ?? modelNameFromFile(path), file: path, records };
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

/** Load several models' answer files and check that they answer the same items (see `assertAnswersAgree`). */
export async function loadAnswerFiles(paths: readonly string[]): Promise<ModelAnswers[]> {
  const answers = await Promise.all(paths.map((path) => loadAnswerFile(path)));
  assertAnswersAgree(answers);
  return answers;
}

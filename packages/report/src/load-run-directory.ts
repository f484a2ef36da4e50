// Reads a run directory (items.json, judgments.jsonl, results.json, optional loss.json) into the shapes the
// analysis takes, with errors that name the file and say what to do.
import { readFile } from 'node:fs/promises';
import { JsonlLog, JudgekitError, readRatings, runFile, type JudgmentRecord, type LogProblem, type RunData, type RunItems, type RunLosses, type RunResults } from '@judgekit/core';
import type { RunRecord } from '@judgekit/core';
import { loadFinetuneCurves, loadRunRecord, type FinetuneCurve } from './load-run-extras.js';

export interface LoadedRun extends RunData {
  dir: string;
  /** Lines of judgments.jsonl that were torn or edited (skipped). */
  problems: LogProblem[];
  /** Lines of ratings.jsonl that were skipped, naming file and line (the file is optional). */
  ratingProblems?: string[];
  /** run.json (secrets removed), when the run has one. */
  runRecord?: RunRecord;
  /** finetune/<model>/epochs.jsonl of each fine-tuned model. */
  finetune?: FinetuneCurve[];
}

async function readJson<T>(path: string, required: boolean, hint: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !required) return undefined;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new JudgekitError('input', `${path} does not exist: ${hint}`, { file: path });
    throw error;
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new JudgekitError('input', `${path} is not valid JSON (${(error as Error).message}); rerun the stage that writes it.`, { file: path, cause: error });
  }
}

export async function loadRunDirectory(dir: string): Promise<LoadedRun> {
  const itemsPath = runFile(dir, 'items');
  const items = (await readJson<RunItems>(itemsPath, true, 'is this a run directory? Run `judgekit judge` (or `judgekit run`) with --out pointing here first.')) as RunItems;
  if (!Array.isArray(items.items) || !Array.isArray(items.models)) {
    throw new JudgekitError('input', `${itemsPath} has no "items" and "models" arrays; it was not written by judgekit.`, { file: itemsPath });
  }
  items.models.forEach((model, m) => {
    if (!Array.isArray(model.responses) || model.responses.length !== items.items.length) {
      throw new JudgekitError('input', `${itemsPath}: models[${m}] ("${model.name}") has ${Array.isArray(model.responses) ? model.responses.length : 'no'} responses for ${items.items.length} items; regenerate items.json.`, { file: itemsPath, location: `models[${m}].responses` });
    }
  });
  const log = await new JsonlLog<JudgmentRecord>(runFile(dir, 'judgments')).read();
  const results = await readJson<RunResults>(runFile(dir, 'results'), false, '');
  const losses = await readJson<RunLosses>(runFile(dir, 'loss'), false, '');
  const runRecord = await loadRunRecord(dir);
  const finetune = await loadFinetuneCurves(dir);
  const ratings = await readRatings(runFile(dir, 'ratings'));
  return {
    dir,
    items,
    judgments: [...log.entries.values()],
    problems: log.problems,
    ratingProblems: ratings?.problems ?? [],
    ...(ratings ? { ratings: ratings.ratings } : {}),
    ...(results ? { results } : {}),
    ...(losses ? { losses } : {}),
    ...(runRecord ? { runRecord } : {}),
    ...(finetune.length > 0 ? { finetune } : {}),
  };
}

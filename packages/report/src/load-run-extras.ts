// The optional parts of a run directory the report shows besides the judgments: run.json (how the run was made,
// with its versions) and the fine-tuning curves from finetune/<model>/epochs.jsonl.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JsonlLog, JudgekitError, runFile, scrubSecretsDeep, type LogProblem, type RunRecord } from '@judgekit/core';

/** One line of epochs.jsonl (the fine-tune stage's EpochReport): the fields the report plots. */
export interface EpochPoint {
  epoch: number;
  trainLoss: number;
  validationLoss: number;
  /** Validation loss rose: training stopped here and the previous epoch's weights were kept. */
  stopped?: boolean;
}

export interface FinetuneCurve {
  model: string;
  file: string;
  epochs: EpochPoint[];
  problems: LogProblem[];
}

/** run.json with secrets removed (it is written scrubbed; read again scrubbed in case an older judgekit wrote it). */
export async function loadRunRecord(dir: string): Promise<RunRecord | undefined> {
  const path = runFile(dir, 'run');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return scrubSecretsDeep(JSON.parse(text) as RunRecord);
  } catch (error) {
    throw new JudgekitError('input', `${path} is not valid JSON (${(error as Error).message}); rerun the stage that writes it, or delete it to report without the run's config.`, { file: path, cause: error });
  }
}

/** Every finetune/<model>/epochs.jsonl of the run, models in name order, epochs in epoch order. */
export async function loadFinetuneCurves(dir: string): Promise<FinetuneCurve[]> {
  let names: string[];
  try {
    names = (await readdir(join(dir, 'finetune'), { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw error;
  }
  const curves: FinetuneCurve[] = [];
  for (const model of names.sort()) {
    const file = join(dir, 'finetune', model, 'epochs.jsonl');
    const log = await new JsonlLog<EpochPoint>(file).read();
    const epochs = [...log.entries.values()].filter((e) => typeof e?.epoch === 'number').sort((a, b) => a.epoch - b.epoch);
    if (epochs.length > 0 || log.problems.length > 0) curves.push({ model, file, epochs, problems: log.problems });
  }
  return curves;
}

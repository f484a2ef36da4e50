// A checkpoint's JSON config, before any family reads it: where it is (beside the checkpoint), its parsed JSON and
// the `model_type` that picks the architecture (the registry in index.ts supplies the default for configs without one).
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { JudgekitError, pathExists } from '@judgekit/core';

/** Find the config beside a checkpoint: `<stem>.json` first, then `config.json`. */
export async function findConfigBeside(checkpointPath: string): Promise<string | undefined> {
  const dir = dirname(checkpointPath);
  const stem = basename(checkpointPath, extname(checkpointPath));
  for (const candidate of [join(dir, `${stem}.json`), join(dir, 'config.json')]) {
    if (await pathExists(candidate)) return candidate;
  }
  return undefined;
}

/** Read and parse a JSON config; throws a `config` error naming the file. */
export async function readConfigJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new JudgekitError('config', `cannot read the model config ${path}: ${(error as Error).message}`, { file: path, cause: error });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new JudgekitError('config', `${path} is not valid JSON: ${(error as Error).message}`, { file: path, cause: error });
  }
}

/** The `model_type` a parsed config states, if any. */
export function statedModelType(json: unknown, file = '<config>'): string | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const modelType = (json as Record<string, unknown>).model_type;
  if (modelType === undefined || modelType === null) return undefined;
  if (typeof modelType !== 'string' || modelType === '') {
    throw new JudgekitError('config', `${file}: "model_type" must be a string such as "gpt2", got ${JSON.stringify(modelType)}.`, { file, location: 'model_type' });
  }
  return modelType;
}

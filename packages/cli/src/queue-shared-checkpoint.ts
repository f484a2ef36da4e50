// The files of a checkpoint sent to `judgekit worker`s: the checkpoint, the config given with --config, and the
// files beside it that it is read with (its config found beside it when none is given; a Llama checkpoint's
// tokenizer.json, tokenizer_config.json, special_tokens_map.json). A worker that downloads the checkpoint by URL
// (JUDGEKIT_SHARED_FILES_URL) puts these beside its copy, so the model opens there as it does here.
import { basename, extname } from 'node:path';
import { checkSharedFile, sharedCompanions, sharedFile, type SharedFile } from '@judgekit/queue';

export interface SharedCheckpoint {
  model: SharedFile;
  config?: SharedFile;
  companions: SharedFile[];
}

/** The coordinator's side: checksums (and URLs) of the checkpoint, its config and its companions. */
export async function sharedCheckpoint(modelPath: string, configPath?: string): Promise<SharedCheckpoint> {
  const { TOKENIZER_FILES } = await import('@judgekit/backends');
  // As findConfigBeside looks for it: `<stem>.json`, then config.json.
  const configNames = configPath ? [] : [`${basename(modelPath, extname(modelPath))}.json`, 'config.json'];
  return {
    model: await sharedFile(modelPath),
    ...(configPath ? { config: await sharedFile(configPath) } : {}),
    companions: await sharedCompanions(modelPath, [...configNames, ...TOKENIZER_FILES]),
  };
}

/** The worker's side: the local paths of the checkpoint and its config (downloaded with the companions when needed). */
export async function checkSharedCheckpoint(files: { model: SharedFile; config?: SharedFile; companions?: SharedFile[] }, worker: string, jobId: string): Promise<{ modelPath: string; configPath?: string }> {
  const modelPath = await checkSharedFile(files.model, 'checkpoint', worker, jobId, { companions: files.companions ?? [] });
  const configPath = files.config ? await checkSharedFile(files.config, 'model config', worker, jobId) : undefined;
  return { modelPath, ...(configPath ? { configPath } : {}) };
}

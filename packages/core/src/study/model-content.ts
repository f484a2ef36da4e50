// What a study's results depend on, by content: a model's checkpoint (and its named config) and its answer file.
// Stage fingerprints and per-model reuse compare these, so a checkpoint overwritten in place is noticed.
import { fileContentSha256, shortFingerprint, weightsFingerprint } from '../util/file-fingerprint.js';
import type { StudyModel } from './study.js';

/** The content fingerprint of a model's checkpoint (with its config file when the config names one); null without one. */
export async function checkpointContent(model: StudyModel): Promise<string | null> {
  if (!model.checkpoint) return null;
  return weightsFingerprint({ path: model.checkpoint, ...(model.config ? { configPath: model.config } : {}) });
}

/** What a model's answers come from: its answer file's content, else its checkpoint's (the study generates them). */
export async function answersContent(model: StudyModel): Promise<string | null> {
  if (model.answers) return `sha256:${await fileContentSha256(model.answers)}`;
  return checkpointContent(model);
}

/** Why a result made from `before` is not reused for `now`, for notices: "checkpoint of model "x" changed (...)". */
export function checkpointChange(model: StudyModel, before: string | undefined, now: string): string {
  if (before === undefined) return `the content of model "${model.name}"'s checkpoint was not recorded (a run directory from an older judgekit)`;
  return `checkpoint of model "${model.name}" changed (${shortFingerprint(before)} -> ${shortFingerprint(now)})`;
}

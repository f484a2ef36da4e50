// A fine-tune's resume state (`resume.safetensors`): weights, AdamW moments, step, epoch and the run's
// fingerprint, with a SHA-256 over its metadata and every tensor's bytes. Reading verifies the whole file, so a
// truncated or bit-flipped resume state is reported (naming the file and suggesting `--fresh`), never resumed from.
import { createHash, type Hash } from 'node:crypto';
import { JudgekitError } from '@judgekit/core';
import type { ParameterSpec } from '../architectures/architecture.js';
import type { AdamWState } from './gpt2-trainer.js';
import type { EpochReport } from './instruction-finetune.js';
import { elementCount, type ModelParameters } from './model-parameters.js';
import { readSafetensors, writeSafetensors, type NamedTensor, type SafetensorsContents } from './safetensors-file.js';

export interface ResumeMetadata {
  /** 2: with `judgekit_resume_sha256`; 1 (older judgekit): without a checksum. */
  version: 1 | 2;
  fingerprint: string;
  epoch: number;
  step: number;
  finished: boolean;
  epochs: EpochReport[];
}

export interface ResumeState {
  params: ModelParameters;
  state: AdamWState;
  meta: ResumeMetadata;
  /** False only for a version-1 state, which has no checksum to verify. */
  verified: boolean;
}

/** The metadata keys of a resume state. */
export const RESUME_METADATA_KEY = 'judgekit_resume';
export const RESUME_CHECKSUM_KEY = 'judgekit_resume_sha256';

/** What to do about a resume state that cannot be used (the CLI's flag, and the function option). */
const START_OVER = 'run the same command with --fresh to start this fine-tune over (finetune() option `resume: false`), or delete the file';

function damaged(path: string, what: string, cause?: unknown): JudgekitError {
  return new JudgekitError('run-store', `${path}: the resume state is damaged (${what}), so training will not resume from it: ${START_OVER}.`, { file: path, ...(cause === undefined ? {} : { cause }) });
}

function hashTensor(hash: Hash, name: string, tensor: NamedTensor): void {
  hash.update(`${name}\0${tensor.shape.join(',')}\0`);
  hash.update(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength));
}

/** SHA-256 over the metadata JSON, then each tensor's name, shape and bytes in file order. */
function resumeChecksum(metaJson: string, tensors: Iterable<[string, NamedTensor]>): string {
  const hash = createHash('sha256').update(`${metaJson}\0`);
  for (const [name, tensor] of tensors) hashTensor(hash, name, tensor);
  return hash.digest('hex');
}

/** Write the resume state atomically (temporary file, fsync, rename), with its checksum in the metadata. */
export async function writeResumeState(path: string, params: ModelParameters, state: AdamWState, specs: readonly ParameterSpec[], meta: Omit<ResumeMetadata, 'version'>): Promise<void> {
  const tensors: Array<[string, NamedTensor]> = [];
  for (const spec of specs) {
    tensors.push([`param/${spec.name}`, { shape: spec.shape, data: params.get(spec.name) as Float32Array }]);
    tensors.push([`adam.m/${spec.name}`, { shape: spec.shape, data: state.m.get(spec.name) as Float32Array }]);
    tensors.push([`adam.v/${spec.name}`, { shape: spec.shape, data: state.v.get(spec.name) as Float32Array }]);
  }
  const metaJson = JSON.stringify({ version: 2, ...meta } satisfies ResumeMetadata);
  await writeSafetensors(path, tensors, { [RESUME_METADATA_KEY]: metaJson, [RESUME_CHECKSUM_KEY]: resumeChecksum(metaJson, tensors) });
}

/**
 * Read and verify a resume state for a model with these parameters. Throws a `run-store` error naming the file,
 * what is wrong and `--fresh` when it is truncated, fails its checksum, or does not fit the model.
 */
export async function readResumeState(path: string, specs: readonly ParameterSpec[]): Promise<ResumeState> {
  let contents: SafetensorsContents;
  try {
    contents = await readSafetensors(path);
  } catch (error) {
    // The reader's messages start with the path; say it once.
    const reason = (error as Error).message.replace(`${path}: `, '').replace(path, 'the file').replace(/\.$/, '');
    throw damaged(path, `truncated or not a safetensors file: ${reason}`, error);
  }
  const raw = contents.metadata[RESUME_METADATA_KEY];
  if (!raw) throw damaged(path, `no ${RESUME_METADATA_KEY} metadata: not a judgekit resume state`);
  let meta: ResumeMetadata;
  try {
    meta = JSON.parse(raw) as ResumeMetadata;
  } catch (error) {
    throw damaged(path, `its ${RESUME_METADATA_KEY} metadata is not valid JSON`, error);
  }
  if (meta.version !== 1 && meta.version !== 2) throw damaged(path, `unknown resume state version ${JSON.stringify(meta.version)}`);
  if (meta.version === 2) {
    const expected = contents.metadata[RESUME_CHECKSUM_KEY];
    if (!expected) throw damaged(path, `no ${RESUME_CHECKSUM_KEY} metadata`);
    const actual = resumeChecksum(raw, contents.names.map((name) => [name, contents.tensors.get(name) as NamedTensor]));
    if (actual !== expected) throw damaged(path, `checksum mismatch: SHA-256 of its contents is ${actual.slice(0, 12)}..., written as ${expected.slice(0, 12)}...`);
  }
  const params: ModelParameters = new Map();
  const m = new Map<string, Float32Array>();
  const v = new Map<string, Float32Array>();
  for (const spec of specs) {
    const take = (name: string): Float32Array => {
      const tensor = contents.tensors.get(name);
      if (!tensor || tensor.data.length !== elementCount(spec.shape)) {
        throw new JudgekitError('run-store', `${path}: the resume state lacks ${name} of shape [${spec.shape.join(', ')}], so it does not belong to this model: ${START_OVER}.`, { file: path, location: name });
      }
      return tensor.data;
    };
    params.set(spec.name, take(`param/${spec.name}`));
    m.set(spec.name, take(`adam.m/${spec.name}`));
    v.set(spec.name, take(`adam.v/${spec.name}`));
  }
  return { params, state: { step: meta.step, m, v }, meta, verified: meta.version === 2 };
}

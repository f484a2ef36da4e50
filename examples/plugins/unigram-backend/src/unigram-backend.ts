// A ModelBackend whose "checkpoint" is a JSON file of unigram counts of GPT-2 token ids. It computes token
// log-likelihoods (additively smoothed over the vocabulary) and "generates" the checkpoint's most frequent tokens.
// Not a useful language model, but it fills in every part of the contract a real backend (llama.cpp, a remote
// server, PyTorch over IPC) does: loading and checking a checkpoint, options from the config, a tokenizer.
import {
  JudgekitError,
  type BackendOptions,
  type GenerationOptions,
  type GenerativeModel,
  type JsonSchema,
  type LikelihoodModel,
  type ModelBackend,
  type ModelSpec,
  type TokenLogLikelihoods,
  type Tokenizer,
} from '@judgekit/core';
import { readFile } from 'node:fs/promises';
import { gpt2Tokenizer } from './gpt2-tokenizer.js';

/** The checkpoint format: `{ "kind": "unigram", "vocabSize": 50257, "contextLength": 64, "counts": { "<id>": n } }`. */
export interface UnigramCheckpoint {
  kind: 'unigram';
  vocabSize: number;
  contextLength: number;
  counts: Record<string, number>;
}

/** `models[].options` of a model with `"backend": "unigram"`. */
export interface UnigramOptions {
  /** Pseudo-count added to every token of the vocabulary (add-k smoothing). Default 1 (Laplace). */
  smoothing?: number;
}

export const unigramOptionsSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    smoothing: { type: 'number', exclusiveMinimum: 0, default: 1, description: 'Pseudo-count added to every token (add-k smoothing).' },
  },
};

/** The checkpoint of `counts` tokens: what "training" the unigram model means. */
export function countTokens(tokens: Iterable<number>, contextLength: number, vocabSize = gpt2Tokenizer.endOfText + 1): UnigramCheckpoint {
  const counts: Record<string, number> = {};
  for (const token of tokens) counts[token] = (counts[token] ?? 0) + 1;
  return { kind: 'unigram', vocabSize, contextLength, counts };
}

export async function readUnigramCheckpoint(path: string): Promise<UnigramCheckpoint> {
  let parsed: Partial<UnigramCheckpoint>;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<UnigramCheckpoint>;
  } catch (error) {
    throw new JudgekitError('model', `${path}: cannot read the unigram checkpoint (${(error as Error).message}).`, { file: path, cause: error });
  }
  if (parsed.kind !== 'unigram' || !Number.isInteger(parsed.vocabSize) || !Number.isInteger(parsed.contextLength) || typeof parsed.counts !== 'object' || parsed.counts === null) {
    throw new JudgekitError('model', `${path} is not a unigram checkpoint: expected {kind: "unigram", vocabSize, contextLength, counts}.`, { file: path });
  }
  return parsed as UnigramCheckpoint;
}

export class UnigramModel implements LikelihoodModel, GenerativeModel {
  readonly contextLength: number;
  readonly tokenizer: Tokenizer = gpt2Tokenizer;
  readonly #logProb: (token: number) => number;
  readonly #ranked: number[];

  constructor(checkpoint: UnigramCheckpoint, smoothing = 1) {
    this.contextLength = checkpoint.contextLength;
    const total = Object.values(checkpoint.counts).reduce((sum, n) => sum + n, 0) + smoothing * checkpoint.vocabSize;
    this.#logProb = (token) => Math.log(((checkpoint.counts[String(token)] ?? 0) + smoothing) / total);
    this.#ranked = Object.entries(checkpoint.counts)
      .sort(([a, x], [b, y]) => y - x || Number(a) - Number(b))
      .map(([token]) => Number(token));
  }

  async tokenNll(_inputs: Int32Array, targets: Int32Array, batch: number, sequence: number): Promise<TokenLogLikelihoods> {
    const nll = new Float32Array(batch * sequence);
    targets.forEach((target, i) => {
      nll[i] = target === -100 ? 0 : -this.#logProb(target);
    });
    return { nll, batch, sequence };
  }

  async generate(prompts: number[][], options: GenerationOptions = {}): Promise<number[][]> {
    const length = Math.min(options.maxNewTokens ?? 256, this.#ranked.length);
    return prompts.map(() => this.#ranked.slice(0, length).filter((token) => token !== options.stopToken));
  }

  async dispose(): Promise<void> {
    // Nothing native to free.
  }
}

function smoothingOf(options: BackendOptions | undefined): number {
  return ((options?.options ?? {}) as UnigramOptions).smoothing ?? 1;
}

export class UnigramBackend implements ModelBackend {
  readonly id = 'unigram';
  readonly description = 'Unigram counts of GPT-2 tokens in a JSON checkpoint: test loss and (most-frequent-token) generation.';
  readonly optionsSchema = unigramOptionsSchema;

  async loadLikelihoodModel(spec: ModelSpec, options?: BackendOptions): Promise<LikelihoodModel> {
    return new UnigramModel(await readUnigramCheckpoint(spec.path), smoothingOf(options));
  }

  async loadGenerativeModel(spec: ModelSpec, options?: BackendOptions): Promise<GenerativeModel> {
    return new UnigramModel(await readUnigramCheckpoint(spec.path), smoothingOf(options));
  }
}

// A third-party backend plugin, against the public API only: a ModelBackend whose "checkpoint" is a JSON file
// of unigram token counts. It computes token log-likelihoods (add-one smoothed over the GPT-2 vocabulary) and
// "generates" the checkpoint's most frequent tokens. Not a useful language model, but it shows every part of
// the contract a real backend (llama.cpp, a remote server, PyTorch over IPC) fills in.
import { JudgekitError, ModelBackend, type GenerationOptions, type GenerativeModel, type LikelihoodModel, type ModelSpec, type TokenLogLikelihoods } from '@judgekit/core';
import { ContainerModule } from 'inversify';
import { readFile } from 'node:fs/promises';

/** The checkpoint format: `{ "kind": "unigram", "vocabSize": 50257, "contextLength": 64, "counts": { "<id>": n } }`. */
export interface UnigramCheckpoint {
  kind: 'unigram';
  vocabSize: number;
  contextLength: number;
  counts: Record<string, number>;
}

async function readCheckpoint(spec: ModelSpec): Promise<UnigramCheckpoint> {
  let parsed: Partial<UnigramCheckpoint>;
  try {
    parsed = JSON.parse(await readFile(spec.path, 'utf8')) as Partial<UnigramCheckpoint>;
  } catch (error) {
    throw new JudgekitError('model', `${spec.path}: cannot read the unigram checkpoint (${(error as Error).message}).`, { file: spec.path, cause: error });
  }
  if (parsed.kind !== 'unigram' || !Number.isInteger(parsed.vocabSize) || !Number.isInteger(parsed.contextLength) || typeof parsed.counts !== 'object' || parsed.counts === null) {
    throw new JudgekitError('model', `${spec.path} is not a unigram checkpoint: expected {kind: "unigram", vocabSize, contextLength, counts}.`, { file: spec.path });
  }
  return parsed as UnigramCheckpoint;
}

class UnigramModel implements LikelihoodModel, GenerativeModel {
  readonly contextLength: number;
  readonly #logProb: (token: number) => number;
  readonly #ranked: number[];

  constructor(checkpoint: UnigramCheckpoint) {
    this.contextLength = checkpoint.contextLength;
    const total = Object.values(checkpoint.counts).reduce((sum, n) => sum + n, 0) + checkpoint.vocabSize;
    this.#logProb = (token) => Math.log(((checkpoint.counts[String(token)] ?? 0) + 1) / total);
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

export class UnigramBackend implements ModelBackend {
  readonly id = 'unigram';

  async loadLikelihoodModel(spec: ModelSpec): Promise<LikelihoodModel> {
    return new UnigramModel(await readCheckpoint(spec));
  }

  async loadGenerativeModel(spec: ModelSpec): Promise<GenerativeModel> {
    return new UnigramModel(await readCheckpoint(spec));
  }
}

export default new ContainerModule(({ bind }) => {
  bind<ModelBackend>(ModelBackend).toConstantValue(new UnigramBackend());
});

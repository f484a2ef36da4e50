// The core `GenerativeModel` contract on top of a decoder session: batched, KV-cached generation.
import type { GenerationOptions, GenerativeModel, Tokenizer } from '@judgekit/core';
import { defaultArchitecture } from '../architectures/index.js';
import type { DecoderSession } from './decoder-session.js';
import { DEFAULT_GENERATION_BATCH_SIZE, generateTokens, type TokenGenerationOptions } from './batched-generation.js';

export interface SessionGenerativeModelOptions {
  /** Prompts per forward pass when a call names none; default 32. */
  batchSize?: number;
  /** How the study's prompts become ids and answers text; default the session's, else the default architecture's. */
  tokenizer?: Tokenizer;
}

export class SessionGenerativeModel implements GenerativeModel {
  readonly session: DecoderSession;
  readonly tokenizer: Tokenizer;
  readonly #batchSize: number;

  constructor(session: DecoderSession, options: SessionGenerativeModelOptions = {}) {
    this.session = session;
    this.tokenizer = options.tokenizer ?? session.tokenizer ?? defaultArchitecture().createTokenizer();
    this.#batchSize = options.batchSize ?? DEFAULT_GENERATION_BATCH_SIZE;
  }

  get contextLength(): number {
    return this.session.config.contextLength;
  }

  get vocabSize(): number {
    return this.session.config.vocabSize;
  }

  /** Completions in the prompts' order; greedy unless a temperature is given (see `TokenGenerationOptions`). */
  generate(prompts: number[][], options: GenerationOptions & Pick<TokenGenerationOptions, 'onBatch'> = {}): Promise<number[][]> {
    const { batchSize, stopToken, ...rest } = options;
    return generateTokens(this.session, prompts, { ...rest, stopToken: stopToken ?? this.tokenizer.endOfText, batchSize: batchSize ?? this.#batchSize });
  }

  dispose(): Promise<void> {
    return this.session.dispose();
  }
}

// An InstructionDataset for locations of the form `words:N`: N small Alpaca records made in memory (repeat a word),
// so examples and tests need no files. A real dataset plugin reads a format judgekit does not (Parquet, a
// database, an API) the same way: records in, a checksum of what was read, errors that say what to fix.
import { InstructionDataset, JudgekitError, sha256Hex, type AlpacaRecord, type DatasetSource, type JsonSchema, type LoadedDataset } from '@judgekit/core';

export const DEFAULT_WORDS = Object.freeze(['apple', 'river', 'lantern', 'orbit', 'meadow', 'copper', 'violin', 'glacier', 'pepper', 'harbor', 'falcon', 'quartz']);

export const DEFAULT_INSTRUCTION = 'Repeat the word in the input.';

/** The `dataset.options` a study config may give; judgekit validates them against the schema below. */
export interface WordsDatasetOptions {
  words?: string[];
  instruction?: string;
}

export const wordsDatasetOptionsSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    words: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { type: 'string', pattern: '^\\S+$' },
      description: 'The words the records repeat, in turn (default: twelve built-in words).',
    },
    instruction: { type: 'string', minLength: 1, default: DEFAULT_INSTRUCTION, description: 'The instruction of every record.' },
  },
};

/** The records of `words:<count>`: record i repeats word i (cycling through `words`) followed by i. */
export function wordsRecords(count: number, options: WordsDatasetOptions = {}): AlpacaRecord[] {
  const words = options.words ?? DEFAULT_WORDS;
  const instruction = options.instruction ?? DEFAULT_INSTRUCTION;
  return Array.from({ length: count }, (_, i) => {
    const text = `${words[i % words.length] as string} ${i}`;
    return { instruction, input: text, output: text };
  });
}

export class WordsDataset implements InstructionDataset {
  readonly id = 'words';
  readonly description = 'N tiny in-memory records (repeat a word) from a location like "words:40".';
  readonly optionsSchema = wordsDatasetOptionsSchema;

  async load(source: DatasetSource): Promise<LoadedDataset> {
    const match = /^words:(\d+)$/.exec(source.location);
    if (!match) {
      throw new JudgekitError('dataset', `The words dataset reads locations like "words:20", not "${source.location}".`, { file: source.location });
    }
    const count = Number(match[1]);
    const records = wordsRecords(count, (source.options ?? {}) as WordsDatasetOptions);
    const sha256 = sha256Hex(JSON.stringify(records));
    if (source.sha256 && source.sha256 !== sha256) {
      throw new JudgekitError('checksum', `${source.location} has SHA-256 ${sha256}, not the pinned ${source.sha256}; drop "sha256" or pin this one.`, { file: source.location });
    }
    return { source: source.location, sha256, records };
  }
}

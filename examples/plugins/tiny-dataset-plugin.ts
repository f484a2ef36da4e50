// A third-party dataset plugin, against the public API only: an InstructionDataset that understands locations
// of the form `words:N` and makes N small Alpaca records in memory (repeat a word), so examples and tests need
// no files. A real plugin would read a format judgekit does not (Parquet, a database, an API) the same way.
import { InstructionDataset, JudgekitError, sha256Hex, type AlpacaRecord, type DatasetSource, type LoadedDataset } from '@judgekit/core';
import { ContainerModule } from 'inversify';

const WORDS = ['apple', 'river', 'lantern', 'orbit', 'meadow', 'copper', 'violin', 'glacier', 'pepper', 'harbor', 'falcon', 'quartz'];

export class WordsDataset implements InstructionDataset {
  async load(source: DatasetSource): Promise<LoadedDataset> {
    const match = /^words:(\d+)$/.exec(source.location);
    if (!match) {
      throw new JudgekitError('dataset', `The words dataset reads locations like "words:20", not "${source.location}".`, { file: source.location });
    }
    const count = Number(match[1]);
    const records: AlpacaRecord[] = Array.from({ length: count }, (_, i) => {
      const word = WORDS[i % WORDS.length] as string;
      return { instruction: 'Repeat the word in the input.', input: `${word} ${i}`, output: `${word} ${i}` };
    });
    const sha256 = sha256Hex(JSON.stringify(records));
    if (source.sha256 && source.sha256 !== sha256) {
      throw new JudgekitError('checksum', `words:${count} has SHA-256 ${sha256}, not the pinned ${source.sha256}.`, { file: source.location });
    }
    return { source: source.location, sha256, records };
  }
}

export default new ContainerModule(({ bind }) => {
  bind<InstructionDataset>(InstructionDataset).toConstantValue(new WordsDataset());
});

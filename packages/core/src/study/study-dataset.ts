// The study's instruction dataset, read once per process by the dataset plugin the config names (`dataset.kind`,
// default alpaca) and split with the study's rule.
import { join } from 'node:path';
import type { AlpacaRecord } from '../contracts/records.js';
import type { LoadedStudyConfig } from '../config/study-config.js';
import { splitDataset } from '../data/splits.js';
import { JudgekitError } from '../errors.js';
import { fileContentSha256 } from '../util/file-fingerprint.js';
import type { ContributionRegistry } from '../plugins/contribution-registry.js';
import { resolveStudyPath } from './study.js';

const DEFAULT_DATASET = 'alpaca';

export interface StudyDataset {
  source: string;
  sha256: string;
  records: AlpacaRecord[];
  /** The test split (cut to `limit` when the config gives one). */
  test: AlpacaRecord[];
  sizes: { train: number; test: number; validation: number };
}

const URL_PATTERN = /^https?:\/\//i;

export class StudyDatasetSource {
  #dataset: Promise<StudyDataset> | undefined;

  constructor(
    private readonly loaded: LoadedStudyConfig,
    private readonly registry: ContributionRegistry,
  ) {}

  /**
   * What the dataset's content depends on, for stage fingerprints: its config, and a local file's content (a file
   * edited in place is a new dataset; a URL is pinned by its cache and `sha256`, a plugin location by its options).
   */
  async fingerprint(): Promise<unknown> {
    const dataset = this.loaded.config.dataset;
    if (!dataset?.location || URL_PATTERN.test(dataset.location) || !this.#looksLikePath(dataset.location)) return dataset ?? null;
    try {
      return { ...dataset, content: await fileContentSha256(resolveStudyPath(this.loaded, dataset.location)) };
    } catch {
      return dataset; // missing: the dataset stage says so when it reads it
    }
  }

  get(): Promise<StudyDataset> {
    this.#dataset ??= this.#load();
    return this.#dataset;
  }

  async #load(): Promise<StudyDataset> {
    const { config, file } = this.loaded;
    const dataset = config.dataset;
    if (!dataset) throw new JudgekitError('config', `${file}: models without "answers" need a "dataset" to fine-tune and generate from.`);
    const kind = dataset.kind ?? DEFAULT_DATASET;
    const { value: plugin, options } = this.registry.resolve('dataset', kind, dataset.options, { file, path: 'dataset' });
    if (dataset.location === undefined && kind === DEFAULT_DATASET) throw new JudgekitError('config', `${file}: dataset.location: the alpaca dataset needs a path or URL.`);
    const raw = dataset.location ?? '';
    const location = raw === '' || URL_PATTERN.test(raw) || !this.#looksLikePath(raw) ? raw : resolveStudyPath(this.loaded, raw);
    const loaded = await plugin.load({
      location,
      ...(dataset.sha256 ? { sha256: dataset.sha256 } : {}),
      ...(config.cacheDir ? { cacheDir: join(resolveStudyPath(this.loaded, config.cacheDir), 'datasets') } : {}),
      options,
    });
    const split = splitDataset(loaded.records, dataset.split ?? {});
    return {
      source: loaded.source,
      sha256: loaded.sha256,
      records: loaded.records,
      test: dataset.limit !== undefined ? split.test.slice(0, dataset.limit) : split.test,
      sizes: { train: split.train.length, test: split.test.length, validation: split.validation.length },
    };
  }

  /** Plugin locations like `words:40` or `hub:org/name` are not paths; anything else is, relative to the config. */
  #looksLikePath(location: string): boolean {
    return !/^[a-z][a-z0-9+.-]*:/i.test(location) || /^[a-z]:[\\/]/i.test(location);
  }
}

// The `InstructionDataset` contract: Alpaca records from a local file or an http(s) URL (downloaded once, cached,
// optionally pinned by SHA-256).
import { readFile, stat } from 'node:fs/promises';
import { injectable } from 'inversify';
import { JudgekitError, sha256Hex, type DatasetSource, type InstructionDataset, type LoadedDataset } from '@judgekit/core';
import { parseAlpacaText, type AlpacaTextFormat } from './alpaca-text.js';
import { checksumError, fetchCached, isUrl, normaliseSha256 } from './url-cache.js';

export interface AlpacaDatasetLoaderOptions {
  /** Cache directory for URLs when the source names none. Default `defaultCacheDir()/datasets`. */
  cacheDir?: string;
  /** Force a format; default: detect from the content and name. */
  format?: AlpacaTextFormat;
  timeoutMs?: number;
  fetch?: typeof fetch;
  /**
   * Largest dataset file read, in bytes. Default 256 MiB, or `JUDGEKIT_MAX_DATASET_BYTES`: a dataset is decoded as
   * one string, and V8 cannot hold one over ~512 MiB (Alpaca itself, 52k records, is 22 MB).
   */
  maxBytes?: number;
}

export const DEFAULT_MAX_DATASET_BYTES = 256 * 2 ** 20;

/** The cap in force: the option, else the environment, else the default. */
function datasetCap(options: AlpacaDatasetLoaderOptions): number {
  const fromEnv = Number(process.env.JUDGEKIT_MAX_DATASET_BYTES);
  return options.maxBytes ?? (Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_MAX_DATASET_BYTES);
}

function tooBig(location: string, size: number, cap: number): JudgekitError {
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return new JudgekitError('input', `Dataset ${location} is ${mib(size)}, over the ${mib(cap)} cap for dataset files: split it, or raise the cap with JUDGEKIT_MAX_DATASET_BYTES=<bytes> if this machine has the memory.`, { file: location });
}

export interface AlpacaLoadedDataset extends LoadedDataset {
  /** Local file the records were read from (the cached copy for a URL). */
  path: string;
  /** For URLs: whether this load downloaded (false: served from the cache). */
  downloaded?: boolean;
}

@injectable()
export class AlpacaDatasetLoader implements InstructionDataset {
  readonly id = 'alpaca';
  readonly description = 'Alpaca-format JSON array or JSONL (instruction, input, output) from a path or an http(s) URL, cached and checksum-verified.';
  readonly #options: AlpacaDatasetLoaderOptions;

  constructor(options: AlpacaDatasetLoaderOptions = {}) {
    this.#options = options;
  }

  async load(source: DatasetSource & { format?: AlpacaTextFormat }): Promise<AlpacaLoadedDataset> {
    if (typeof source?.location !== 'string' || source.location === '') {
      throw new JudgekitError('config', 'A dataset source needs a `location`: a file path or an http(s) URL.');
    }
    const format = source.format ?? this.#options.format;
    if (isUrl(source.location)) {
      const cacheDir = source.cacheDir ?? this.#options.cacheDir;
      const got = await fetchCached(source.location, {
        ...(cacheDir !== undefined ? { cacheDir } : {}),
        ...(source.sha256 !== undefined ? { sha256: source.sha256 } : {}),
        ...(this.#options.timeoutMs !== undefined ? { timeoutMs: this.#options.timeoutMs } : {}),
        ...(this.#options.fetch !== undefined ? { fetch: this.#options.fetch } : {}),
      });
      // `got.url` is the URL without its secrets: what errors name and what the run records (dataset.json).
      if (got.bytes.byteLength > datasetCap(this.#options)) throw tooBig(got.url, got.bytes.byteLength, datasetCap(this.#options));
      const records = parseAlpacaText(new TextDecoder().decode(got.bytes), got.url, format);
      return { source: got.url, sha256: got.sha256, records, path: got.path, downloaded: got.downloaded };
    }
    const pin = normaliseSha256(source.sha256, source.location);
    let bytes: Uint8Array;
    try {
      // Checked before reading: a file too big to decode would otherwise fail with an engine error (ERR_STRING_TOO_LONG).
      const { size } = await stat(source.location);
      if (size > datasetCap(this.#options)) throw tooBig(source.location, size, datasetCap(this.#options));
      bytes = new Uint8Array(await readFile(source.location));
    } catch (error) {
      if (error instanceof JudgekitError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      throw new JudgekitError('input', `Cannot read dataset ${source.location}${code ? ` (${code})` : ''}: check the path.`, {
        file: source.location,
        cause: error,
      });
    }
    const sha256 = sha256Hex(bytes);
    if (pin !== undefined && sha256 !== pin) {
      throw checksumError(source.location, pin, sha256, 'The file is not the one the pin names: replace it, or update the pin if the change is intended.');
    }
    const records = parseAlpacaText(new TextDecoder().decode(bytes), source.location, format);
    return { source: source.location, sha256, records, path: source.location };
  }
}

/** Load once without a container. */
export function loadAlpacaDataset(source: DatasetSource & { format?: AlpacaTextFormat }, options: AlpacaDatasetLoaderOptions = {}): Promise<AlpacaLoadedDataset> {
  return new AlpacaDatasetLoader(options).load(source);
}

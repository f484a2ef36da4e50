// The one owner of a run directory: every path in it, the only writer of `run.json`, and the run's log file
// (`run.log`: what each stage did, with times). Stages and commands ask it for paths instead of joining their own.
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../util/atomic-write.js';
import { pathExists } from '../util/path-exists.js';
import { scrubSecrets, scrubSecretsDeep } from '../util/scrub-secrets.js';
import { assertPathSafeName } from '../util/safe-name.js';
import { RUN_FILES } from './run-directory.js';

/** `run.json`: where and how a run was made. */
export interface RunRecord {
  tool?: string;
  command?: string;
  startedAt?: string;
  finishedAt?: string;
  [field: string]: unknown;
}

const RUN_LOG_FILE = 'run.log';

export class RunStore {
  constructor(readonly dir: string) {}

  /** A file of the run directory's own layout (`results.json`, `judgments.jsonl`, ...). */
  file(name: keyof typeof RUN_FILES): string {
    return join(this.dir, RUN_FILES[name]);
  }

  /** Any other path inside the run directory. */
  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  get answersDir(): string {
    return join(this.dir, 'answers');
  }

  /** Where a model's generated answers go, in the study's file name. */
  answerFile(model: string): string {
    assertPathSafeName(model, 'model');
    return join(this.answersDir, `${model}-ift-test-results.json`);
  }

  /** A model's fine-tuning folder (checkpoints, best weights, history). */
  finetuneDir(model: string): string {
    assertPathSafeName(model, 'model');
    return join(this.dir, 'finetune', model);
  }

  /** A judge's own working folder inside a study run. */
  judgeDir(judge: string): string {
    assertPathSafeName(judge, 'judge');
    return join(this.dir, 'judges', judge);
  }

  get datasetFile(): string {
    return join(this.dir, 'dataset.json');
  }

  get lossLogFile(): string {
    return join(this.dir, 'loss.jsonl');
  }

  get logFile(): string {
    return join(this.dir, RUN_LOG_FILE);
  }

  async ensure(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  /** Appends a timestamped line to `run.log`. Never holds secrets: callers log what they would print. */
  async log(message: string): Promise<void> {
    await this.ensure();
    const lines = scrubSecrets(message).split('\n').map((line) => `${new Date().toISOString()} ${line}\n`);
    await appendFile(this.logFile, lines.join(''));
  }

  async readRunRecord(): Promise<RunRecord | undefined> {
    const path = this.file('run');
    if (!(await pathExists(path))) return undefined;
    return JSON.parse(await readFile(path, 'utf8')) as RunRecord;
  }

  /** The only writer of `run.json`; secrets in it (a base URL's `?key=`, a signed dataset URL) are removed. */
  async writeRunRecord(record: RunRecord): Promise<string> {
    await this.ensure();
    const path = this.file('run');
    await writeJsonAtomic(path, scrubSecretsDeep(record));
    return path;
  }
}

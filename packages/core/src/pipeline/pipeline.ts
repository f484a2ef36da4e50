// A pipeline is named stages run in order against one run directory. A stage that finished (with the same
// fingerprint) is skipped on a rerun; stages themselves write their results incrementally, so an
// interrupted stage resumes where it stopped.
import { JsonlLog } from '../run/jsonl-log.js';
import { join } from 'node:path';
import { canonicalHash } from '../util/canonical-hash.js';

export interface StageContext {
  runDir: string;
  log(message: string): void;
  signal?: AbortSignal;
}

export interface Stage {
  readonly name: string;
  /** What the stage's output depends on (or a promise of it: content hashes are read from disk); a change reruns the stage. */
  fingerprint?(): unknown | Promise<unknown>;
  run(context: StageContext): Promise<void>;
}

export interface PipelineOutcome {
  ran: string[];
  skipped: string[];
}

interface StageRecord {
  fingerprint: string;
  finishedAt: string;
  seconds: number;
}

export const STAGES_FILE = 'stages.jsonl';

export class Pipeline {
  readonly stages: readonly Stage[];

  constructor(stages: readonly Stage[]) {
    const names = new Set<string>();
    for (const stage of stages) {
      if (names.has(stage.name)) throw new Error(`Pipeline has two stages named "${stage.name}": stage names must be unique.`);
      names.add(stage.name);
    }
    this.stages = stages;
  }

  async run(runDir: string, options: { log?: (message: string) => void; signal?: AbortSignal } = {}): Promise<PipelineOutcome> {
    const log = options.log ?? (() => undefined);
    const record = new JsonlLog<StageRecord>(join(runDir, STAGES_FILE));
    const { entries } = await record.read();
    const outcome: PipelineOutcome = { ran: [], skipped: [] };
    // Once a stage runs, every later stage runs too: its inputs may have changed. Stages resume from their own
    // files, so a rerun of a finished stage costs little.
    let upstreamRan = false;
    for (const stage of this.stages) {
      options.signal?.throwIfAborted();
      const fingerprint = canonicalHash((await stage.fingerprint?.()) ?? null);
      if (!upstreamRan && entries.get(stage.name)?.fingerprint === fingerprint) {
        outcome.skipped.push(stage.name);
        continue;
      }
      const started = Date.now();
      log(`stage ${stage.name}: started`);
      await stage.run({ runDir, log, ...(options.signal ? { signal: options.signal } : {}) });
      const seconds = (Date.now() - started) / 1000;
      await record.append(stage.name, { fingerprint, finishedAt: new Date().toISOString(), seconds });
      log(`stage ${stage.name}: done in ${seconds.toFixed(1)}s`);
      outcome.ran.push(stage.name);
      upstreamRan = true;
    }
    if (outcome.ran.length === 0) log(`nothing to do: all ${outcome.skipped.length} stages of ${runDir} are complete`);
    return outcome;
  }
}

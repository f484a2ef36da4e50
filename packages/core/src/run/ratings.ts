// Blind human ratings in a run directory (`ratings.jsonl`): the record a rater's submission becomes, the seeded,
// rotated order in which a rater sees the models' answers, and the reader. The order is a pure function of the
// rater, the item's place in items.json and the model list, so a page needs no slot-to-model map: the server (or
// `judgekit rate --import`) recomputes it when it turns slot scores into a record.
import { appendFile, readFile } from 'node:fs/promises';
import { JudgekitError } from '../errors.js';
import { sha256Hex } from '../util/canonical-hash.js';
import { seededRandom, shuffled } from '../util/seeded-random.js';
import { terminateLastLine } from './jsonl-log.js';
import { RUN_FILES, type RunItems } from './run-directory.js';

export const RATINGS_FILE = RUN_FILES.ratings;

export const RATING_SCALES = ['100', '10', 'rank'] as const;
export type RatingScale = (typeof RATING_SCALES)[number];

/** One line of `ratings.jsonl`: one rater's ratings of every answer to one item. */
export interface RatingRecord {
  rater: string;
  /** The item's `index` in items.json. */
  item: number;
  scale: RatingScale;
  /** Model names in the order the answers were shown (slot 1 first). */
  order: string[];
  /** Per model name: 0-100, 1-10, or a rank (1 = best) for `rank`. */
  scores: Record<string, number>;
  /** When the rating was submitted (ISO 8601). */
  time: string;
  /** Milliseconds the item was on screen before it was submitted, when known. */
  elapsedMs?: number;
}

/** What a page sends for one item: scores by slot (0-based, the order shown), never model names. */
export interface SlotRating {
  rater: string;
  item: number;
  scale: RatingScale;
  slotScores: number[];
  time?: string;
  elapsedMs?: number;
  /** `ratingRunId` of the run the page was made for (checked on import). */
  run?: string;
}

export function isRatingScale(value: string): value is RatingScale {
  return (RATING_SCALES as readonly string[]).includes(value);
}

/**
 * The slot order (model indices) rater `rater` sees for the item at `position` in items.json. Items are taken in
 * blocks of as many items as there are models: within a block every model takes every slot exactly once (the
 * rotations of one seeded permutation, assigned to the block's items in a seeded order), so over whole blocks each
 * model appears in each position equally often. Seeded by rater and block, so a rater sees a stable order.
 */
export function ratingOrder(rater: string, position: number, modelCount: number): number[] {
  const n = modelCount;
  if (n <= 0) return [];
  const block = Math.floor(position / n);
  const random = seededRandom(`rating/${rater}/${block}`);
  const base = shuffled(
    Array.from({ length: n }, (_, m) => m),
    random,
  );
  const shifts = shuffled(
    Array.from({ length: n }, (_, k) => k),
    random,
  );
  const shift = shifts[position % n] as number;
  return base.map((_, k) => base[(k + shift) % n] as number);
}

/** A short fingerprint of the models and items a rating page was made for, so ratings are never filed under another run. */
export function ratingRunId(items: RunItems): string {
  return sha256Hex(JSON.stringify({ models: items.models.map((m) => m.name), items: items.items.map((it) => it.index) })).slice(0, 16);
}

function scaleRange(scale: RatingScale, models: number): [number, number] {
  return scale === '100' ? [0, 100] : scale === '10' ? [1, 10] : [1, models];
}

/** Turns a page's slot scores into a `ratings.jsonl` record; errors name the item and slot. */
export function ratingFromSlots(items: RunItems, rating: SlotRating, now: () => Date = () => new Date()): RatingRecord {
  const where = `rater "${rating.rater}", item ${rating.item}`;
  if (typeof rating.rater !== 'string' || rating.rater.trim() === '') throw new JudgekitError('input', `A rating has no rater id (${where}); give --rater or ?rater=.`, { location: 'rater' });
  const position = items.items.findIndex((it) => it.index === rating.item);
  if (position < 0) throw new JudgekitError('input', `A rating names item ${rating.item}, which is not in items.json (${where}).`, { location: 'item' });
  if (!isRatingScale(rating.scale)) throw new JudgekitError('input', `A rating has scale "${String(rating.scale)}" (${where}); should be one of: ${RATING_SCALES.join(', ')}.`, { location: 'scale' });
  const n = items.models.length;
  if (!Array.isArray(rating.slotScores) || rating.slotScores.length !== n) {
    throw new JudgekitError('input', `A rating has ${Array.isArray(rating.slotScores) ? rating.slotScores.length : 'no'} slot scores for ${n} answers (${where}).`, { location: 'slotScores' });
  }
  const [lo, hi] = scaleRange(rating.scale, n);
  rating.slotScores.forEach((v, k) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw new JudgekitError('input', `Slot ${k + 1} has score ${String(v)} (${where}); the ${rating.scale} scale takes integers ${lo}-${hi}.`, { location: `slotScores[${k}]` });
  });
  if (rating.scale === 'rank' && new Set(rating.slotScores).size !== n) {
    throw new JudgekitError('input', `Ranks ${rating.slotScores.join(', ')} repeat a rank (${where}); give each answer a different rank 1-${n}.`, { location: 'slotScores' });
  }
  const order = ratingOrder(rating.rater, position, n).map((m) => (items.models[m] as { name: string }).name);
  const scores: Record<string, number> = {};
  order.forEach((model, k) => (scores[model] = rating.slotScores[k] as number));
  return {
    rater: rating.rater,
    item: rating.item,
    scale: rating.scale,
    order,
    scores,
    time: rating.time ?? now().toISOString(),
    ...(typeof rating.elapsedMs === 'number' && Number.isFinite(rating.elapsedMs) ? { elapsedMs: Math.max(0, Math.round(rating.elapsedMs)) } : {}),
  };
}

export interface RatingsContents {
  /** The latest line per rater and item (a re-rated item replaces its earlier line), in the order of those lines. */
  ratings: RatingRecord[];
  /** Lines that were skipped, with file, line and field. */
  problems: string[];
  /** Lines read, superseded ones included. */
  lines: number;
}

function checkRecord(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return 'not a JSON object';
  const r = value as Partial<RatingRecord>;
  if (typeof r.rater !== 'string' || r.rater === '') return 'field "rater" is missing';
  if (typeof r.item !== 'number' || !Number.isInteger(r.item)) return 'field "item" is not an item index';
  if (typeof r.scale !== 'string' || !isRatingScale(r.scale)) return `field "scale" is not one of ${RATING_SCALES.join(', ')}`;
  if (!Array.isArray(r.order) || !r.order.every((m) => typeof m === 'string')) return 'field "order" is not a list of model names';
  if (typeof r.scores !== 'object' || r.scores === null) return 'field "scores" is missing';
  for (const [model, v] of Object.entries(r.scores)) if (typeof v !== 'number' || !Number.isFinite(v)) return `field "scores" has no number for "${model}"`;
  return null;
}

/** Parses `ratings.jsonl` text; `file` names it in problems. */
export function parseRatings(text: string, file: string = RATINGS_FILE): RatingsContents {
  const latest = new Map<string, RatingRecord>();
  const problems: string[] = [];
  const lines = text.split('\n');
  let count = 0;
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    count++;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      problems.push(`${file} line ${index + 1} skipped: ${index === lines.length - 1 ? 'incomplete last line (interrupted write)' : 'not valid JSON'}`);
      return;
    }
    const problem = checkRecord(value);
    if (problem) {
      problems.push(`${file} line ${index + 1} skipped: ${problem}`);
      return;
    }
    const record = value as RatingRecord;
    const key = JSON.stringify([record.rater, record.item]);
    latest.delete(key);
    latest.set(key, record);
  });
  return { ratings: [...latest.values()], problems, lines: count };
}

/** Reads `ratings.jsonl`; undefined when the file does not exist. */
export async function readRatings(path: string): Promise<RatingsContents | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return parseRatings(text, path);
}

/** One `ratings.jsonl` line. */
export function encodeRating(record: RatingRecord): string {
  return `${JSON.stringify(record)}\n`;
}

/** Appends ratings to `ratings.jsonl` one line per submission, serialised so concurrent raters never interleave lines. */
export class RatingsFile {
  readonly path: string;
  #queue: Promise<void> = Promise.resolve();
  #checkedEnd = false;

  constructor(path: string) {
    this.path = path;
  }

  append(record: RatingRecord): Promise<void> {
    const write = this.#queue.then(async () => {
      if (!this.#checkedEnd) {
        // A crash can leave a torn last line: start on a fresh line so this record is not glued to it.
        await terminateLastLine(this.path);
        this.#checkedEnd = true;
      }
      await appendFile(this.path, encodeRating(record));
    });
    this.#queue = write.catch(() => undefined);
    return write;
  }
}

// A known-quality answer set for judge meta-evaluation (`judgekit calibrate`): from any Alpaca-format dataset, per
// item the reference answer and degraded versions of it whose order is known without a human, so a judge can be
// scored on how often it ranks them right.
//
// Levels and their known order (higher tier = better):
//   reference (4) > keep-75 (3) > keep-50 (2) > keep-25 (1) > { other-item, wrong-fluent, empty } (0)
// keep-p is the reference with sentences dropped so that about p of them are kept (seeded choice; the kept sets
// are nested: keep-25 ⊂ keep-50 ⊂ keep-75 ⊂ reference, so each level holds strictly less of the right answer).
// The three tier-0 answers are all wrong and are NOT ordered among themselves. Two levels whose texts are identical
// (a short reference leaves no distinct 75/50/25 cut) share the higher one's tier, so that pair is not ordered either.
import type { AlpacaRecord, AnswerRecord, ModelAnswers } from '../contracts/records.js';
import { JudgekitError } from '../errors.js';
import { rougeLF1 } from '../protocol/judging/rouge-l.js';
import { seededRandom, shuffled } from '../util/seeded-random.js';

export type KnownQualityLevel = 'reference' | 'keep-75' | 'keep-50' | 'keep-25' | 'other-item' | 'wrong-fluent' | 'empty';

/** Known tier of each level: a pair of answers to one item is known-ordered when their tiers differ. */
export const KNOWN_QUALITY_TIERS: Readonly<Record<KnownQualityLevel, number>> = {
  reference: 4,
  'keep-75': 3,
  'keep-50': 2,
  'keep-25': 1,
  'other-item': 0,
  'wrong-fluent': 0,
  empty: 0,
};

/** Fraction of the reference's sentences each degraded level keeps. */
export const KEEP_FRACTIONS = { 'keep-75': 0.75, 'keep-50': 0.5, 'keep-25': 0.25 } as const;
export type KeepLevel = keyof typeof KEEP_FRACTIONS;
const KEEP_LEVELS = Object.keys(KEEP_FRACTIONS) as KeepLevel[];

/** One sentence on the known order, for calibration.json and the docs. */
export const KNOWN_ORDER_TEXT =
  'reference > keep-75 > keep-50 > keep-25 > {other-item, wrong-fluent, empty}; the three wrong answers are not ordered among themselves, and two levels with identical text are not ordered.';

/** Candidates searched for the most similar other item (`wrongFluent`): a seeded sample when the dataset is larger. */
export const MAX_SIMILAR_CANDIDATES = 2000;

export interface KnownQualitySetOptions {
  /** Seed of the item sample, the sentence choice and the other item. Default 123. */
  seed?: number;
  /** Items to use (a seeded sample in dataset order); default all with a non-empty reference. */
  items?: number;
  /** Add `wrong-fluent`: the reference of the most similar other item (ROUGE-L F1 on instruction + input). */
  wrongFluent?: boolean;
}

export interface KnownQualityItem {
  /** 0-based index of the record in the dataset. */
  source: number;
  instruction: string;
  input: string;
  output: string;
  /** The answer of each level. */
  answers: Partial<Record<KnownQualityLevel, string>>;
  /** Known tier of each level for this item (identical texts share the higher tier). */
  known: Partial<Record<KnownQualityLevel, number>>;
  /** What the reference was cut into: sentences, or words when it has a single sentence. */
  unit: 'sentences' | 'words';
  units: number;
  /** Units kept by each degraded level. */
  kept: Record<KeepLevel, number>;
  /** Dataset index whose reference is the `other-item` answer. */
  otherItem: number;
  /** Dataset index whose reference is the `wrong-fluent` answer, and its instruction similarity. */
  similarItem?: { source: number; rougeL: number };
}

export interface KnownQualitySet {
  seed: number;
  levels: KnownQualityLevel[];
  items: KnownQualityItem[];
  /** Records left out, and why (an empty reference cannot be degraded). */
  skipped: Array<{ source: number; reason: string }>;
}

/** Sentences of a text: split after . ! ? (and a closing quote or bracket) before whitespace, and at line breaks. */
export function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?]["'\u201d)\]]?)\s+|\s*\n\s*/)
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

/** Units kept for fraction `p` of `n`: round(n·p), at least 1 and at most n − 1 (so every level drops something). */
export function keptUnits(n: number, p: number): number {
  if (n < 2) return n;
  return Math.min(n - 1, Math.max(1, Math.round(n * p)));
}

function degrade(reference: string, seed: number, source: number): { unit: 'sentences' | 'words'; units: number; texts: Record<KeepLevel, string>; kept: Record<KeepLevel, number> } {
  const sentences = splitSentences(reference);
  const unit = sentences.length >= 2 ? 'sentences' : 'words';
  const parts = unit === 'sentences' ? sentences : reference.trim().split(/\s+/).filter((word) => word !== '');
  const joiner = unit === 'sentences' && reference.includes('\n') ? '\n' : ' ';
  // One permutation per item; each level keeps a prefix of it, so the kept sets are nested.
  const order = shuffled(
    parts.map((_, i) => i),
    seededRandom(`${seed}/sentences/${source}`),
  );
  const texts = {} as Record<KeepLevel, string>;
  const kept = {} as Record<KeepLevel, number>;
  for (const level of KEEP_LEVELS) {
    const k = keptUnits(parts.length, KEEP_FRACTIONS[level]);
    kept[level] = k;
    // Fewer than two units: nothing can be dropped and the level is the reference itself (then not ordered against it).
    texts[level] = parts.length < 2 ? reference : order.slice(0, k).sort((a, b) => a - b).map((i) => parts[i] as string).join(joiner);
  }
  return { unit, units: parts.length, texts, kept };
}

/** Build the set. Throws when fewer than two records have a reference (no other item to borrow an answer from). */
export function buildKnownQualitySet(records: readonly AlpacaRecord[], options: KnownQualitySetOptions = {}): KnownQualitySet {
  const seed = options.seed ?? 123;
  const skipped: KnownQualitySet['skipped'] = [];
  const eligible: number[] = [];
  records.forEach((record, source) => {
    if (typeof record.output !== 'string' || record.output.trim() === '') skipped.push({ source, reason: 'empty reference (output)' });
    else eligible.push(source);
  });
  if (eligible.length < 2) throw new JudgekitError('input', `A known-quality set needs at least two records with a non-empty \`output\` (the reference); the dataset has ${eligible.length}.`);
  const wanted = options.items === undefined ? eligible.length : Math.max(1, Math.min(options.items, eligible.length));
  const chosen = wanted >= eligible.length ? eligible : shuffled(eligible, seededRandom(`${seed}/items`)).slice(0, wanted).sort((a, b) => a - b);
  const candidates = eligible.length <= MAX_SIMILAR_CANDIDATES ? eligible : shuffled(eligible, seededRandom(`${seed}/similar`)).slice(0, MAX_SIMILAR_CANDIDATES);
  const levels: KnownQualityLevel[] = ['reference', ...KEEP_LEVELS, 'other-item', ...(options.wrongFluent ? (['wrong-fluent'] as const) : []), 'empty'];

  const items = chosen.map((source): KnownQualityItem => {
    const record = records[source] as AlpacaRecord;
    const reference = record.output;
    const { unit, units, texts, kept } = degrade(reference, seed, source);
    // Another item's reference, never one equal to this one (it would be a right answer).
    const others = eligible.filter((other) => other !== source && (records[other] as AlpacaRecord).output !== reference);
    if (others.length === 0) throw new JudgekitError('input', `Record ${source}: every other record has the same reference, so no wrong answer can be borrowed from another item.`, { location: `record ${source}, field output` });
    const random = seededRandom(`${seed}/other/${source}`);
    const otherItem = others[Math.floor(random() * others.length)] as number;
    const answers: Partial<Record<KnownQualityLevel, string>> = { reference, ...texts, 'other-item': (records[otherItem] as AlpacaRecord).output, empty: '' };
    let similarItem: KnownQualityItem['similarItem'];
    if (options.wrongFluent) {
      const query = `${record.instruction}\n${record.input ?? ''}`;
      let best = { source: -1, rougeL: -1 };
      for (const other of candidates) {
        const candidate = records[other] as AlpacaRecord;
        if (other === source || candidate.output === reference) continue;
        const score = rougeLF1(`${candidate.instruction}\n${candidate.input ?? ''}`, query);
        if (score > best.rougeL) best = { source: other, rougeL: score };
      }
      // With no candidate in the sample, fall back to the other item (still a wrong, fluent answer).
      similarItem = best.source >= 0 ? best : { source: otherItem, rougeL: 0 };
      answers['wrong-fluent'] = (records[similarItem.source] as AlpacaRecord).output;
    }
    // Identical texts share the higher tier (they are the same answer, so not ordered).
    const known: Partial<Record<KnownQualityLevel, number>> = {};
    for (const level of levels) {
      let tier = KNOWN_QUALITY_TIERS[level];
      for (const other of levels) if (answers[other] === answers[level]) tier = Math.max(tier, KNOWN_QUALITY_TIERS[other]);
      known[level] = tier;
    }
    return { source, instruction: record.instruction, input: record.input ?? '', output: reference, answers, known, unit, units, kept, otherItem, ...(similarItem ? { similarItem } : {}) };
  });
  return { seed, levels, items, skipped };
}

/** The known-ordered pairs of one item as [better, worse] level pairs (tiers differ). */
export function knownOrderedPairs(item: KnownQualityItem, levels: readonly KnownQualityLevel[]): Array<[KnownQualityLevel, KnownQualityLevel]> {
  const pairs: Array<[KnownQualityLevel, KnownQualityLevel]> = [];
  for (const a of levels) {
    for (const b of levels) {
      const ta = item.known[a];
      const tb = item.known[b];
      if (ta !== undefined && tb !== undefined && ta > tb) pairs.push([a, b]);
    }
  }
  return pairs;
}

/** One pseudo-model per level, for the normal judge path: `records[i]` answers item i with that level's text. */
export function knownQualityAnswers(set: KnownQualitySet): ModelAnswers[] {
  return set.levels.map((level) => ({
    name: level,
    records: set.items.map((item): AnswerRecord => ({ instruction: item.instruction, input: item.input, output: item.output, model_response: item.answers[level] ?? '' })),
  }));
}

/** `known[item][level]` as numbers in `set.levels` order, the shape the calibration statistics take. */
export function knownTierMatrix(set: KnownQualitySet): number[][] {
  return set.items.map((item) => set.levels.map((level) => item.known[level] ?? Number.NaN));
}

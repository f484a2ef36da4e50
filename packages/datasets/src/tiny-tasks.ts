// The project's own small instruction set: arithmetic, copying and rewriting words, and fact lookup from
// TINY_FACTS. Deterministic for a given seed, small enough for the demo and tests, and written here so no
// third-party data is committed.
import { JudgekitError, seededRandom, shuffled, type AlpacaRecord, type Random } from '@judgekit/core';
import { colourSentence, capitalSentence, TINY_FACTS, TINY_WORDS, type CapitalFact, type ColourFact } from './tiny-facts.js';

export const TINY_TASK_CATEGORIES = ['arithmetic', 'copy', 'uppercase', 'reverse', 'fact'] as const;
export type TinyTaskCategory = (typeof TINY_TASK_CATEGORIES)[number];

export interface TinyTaskItem {
  record: AlpacaRecord;
  category: TinyTaskCategory;
}

export interface TinyTaskOptions {
  /** Number of records; default 300. */
  count?: number;
  /** Default 0. */
  seed?: number | string;
}

const TINY_TASKS_DEFAULT_COUNT = 300;

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const between = (random: Random, low: number, high: number): number => low + Math.floor(random() * (high - low + 1));

const CAPITAL_FACTS = TINY_FACTS.filter((f): f is CapitalFact => f.kind === 'capital');
const COLOUR_FACTS = TINY_FACTS.filter((f): f is ColourFact => f.kind === 'colour');

function arithmetic(random: Random): AlpacaRecord {
  const form = between(random, 0, 3);
  if (form === 0) {
    const a = between(random, 1, 60);
    const b = between(random, 1, 60);
    return { instruction: `What is ${a} + ${b}?`, input: '', output: `${a} + ${b} = ${a + b}.` };
  }
  if (form === 1) {
    const a = between(random, 10, 99);
    const b = between(random, 1, a);
    return { instruction: `What is ${a} - ${b}?`, input: '', output: `${a} - ${b} = ${a - b}.` };
  }
  if (form === 2) {
    const a = between(random, 2, 12);
    const b = between(random, 2, 12);
    return { instruction: `What is ${a} * ${b}?`, input: '', output: `${a} * ${b} = ${a * b}.` };
  }
  const a = between(random, 1, 60);
  const b = between(random, 1, 60);
  return { instruction: 'Add the two numbers.', input: `${a} and ${b}`, output: `${a} + ${b} = ${a + b}.` };
}

const WORD_TASKS = {
  copy: { instruction: 'Repeat the following word.', apply: (word: string) => word },
  uppercase: { instruction: 'Write the following word in capital letters.', apply: (word: string) => word.toUpperCase() },
  reverse: { instruction: 'Spell the following word backwards.', apply: (word: string) => [...word].reverse().join('') },
} as const;

function wordTask(random: Random, category: keyof typeof WORD_TASKS): AlpacaRecord {
  const word = pick(random, TINY_WORDS);
  const task = WORD_TASKS[category];
  return { instruction: task.instruction, input: word, output: task.apply(word) };
}

function fact(random: Random): AlpacaRecord {
  const form = between(random, 0, 2);
  if (form === 2) {
    const f = pick(random, COLOUR_FACTS);
    return { instruction: `What colour is ${f.thing}?`, input: '', output: colourSentence(f) };
  }
  const f = pick(random, CAPITAL_FACTS);
  return form === 0
    ? { instruction: `What is the capital of ${f.country}?`, input: '', output: capitalSentence(f) }
    : { instruction: 'Name the capital of the country.', input: f.country, output: capitalSentence(f) };
}

function generate(category: TinyTaskCategory, random: Random): AlpacaRecord {
  if (category === 'arithmetic') return arithmetic(random);
  if (category === 'fact') return fact(random);
  return wordTask(random, category);
}

function checkCount(count: unknown): number {
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
    throw new JudgekitError('config', `tinyTasks: \`count\` must be a non-negative integer, got ${String(count)}.`);
  }
  return count;
}

/**
 * Records with their task family. Families rotate in a shuffled order in every block of five, so every split of
 * the file order holds all of them. Records are unique while a family has unused ones left (a few tries each).
 */
export function tinyTaskItems(options: TinyTaskOptions = {}): TinyTaskItem[] {
  const count = checkCount(options.count ?? TINY_TASKS_DEFAULT_COUNT);
  const random = seededRandom(options.seed ?? 0);
  const seen = new Set<string>();
  const items: TinyTaskItem[] = [];
  let block: TinyTaskCategory[] = [];
  while (items.length < count) {
    if (block.length === 0) block = shuffled(TINY_TASK_CATEGORIES, random);
    const category = block.shift() as TinyTaskCategory;
    let record = generate(category, random);
    for (let attempt = 0; attempt < 20 && seen.has(JSON.stringify(record)); attempt++) record = generate(category, random);
    seen.add(JSON.stringify(record));
    items.push({ record, category });
  }
  return items;
}

/** The tiny instruction set as plain Alpaca records (default 300). */
export function tinyTasks(options: TinyTaskOptions = {}): AlpacaRecord[] {
  return tinyTaskItems(options).map((item) => item.record);
}

/** The family of a tiny-task record, read from its instruction (works on copies too); undefined for others. */
export function tinyTaskCategory(record: Pick<AlpacaRecord, 'instruction'>): TinyTaskCategory | undefined {
  const instruction = record.instruction;
  if (/^What is \d+ [-+*] \d+\?$/.test(instruction) || instruction === 'Add the two numbers.') return 'arithmetic';
  for (const [category, task] of Object.entries(WORD_TASKS)) if (task.instruction === instruction) return category as TinyTaskCategory;
  if (/^What is the capital of .+\?$/.test(instruction) || instruction === 'Name the capital of the country.' || /^What colour is .+\?$/.test(instruction)) return 'fact';
  return undefined;
}

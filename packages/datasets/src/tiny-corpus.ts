// Plain-text documents built from the same facts, sums and words as the tiny instruction set, for pre-training a
// tiny model and measuring its test loss in the demo. `factShare` leaves some facts out, so a demo can vary how
// much the pre-training data "knows" and see what that does to the instruction-following score.
import { JudgekitError, seededRandom, shuffled, type Random } from '@judgekit/core';
import { factSentence, TINY_FACTS, TINY_WORDS, type TinyFact } from './tiny-facts.js';

export interface TinyCorpusOptions {
  /** Number of documents; default 200. */
  count?: number;
  /** Default 0. */
  seed?: number | string;
  /** Share (0 to 1) of TINY_FACTS the corpus mentions; default 1 (all). Which ones depends on the seed. */
  factShare?: number;
}

const TINY_CORPUS_DEFAULT_COUNT = 200;

const between = (random: Random, low: number, high: number): number => low + Math.floor(random() * (high - low + 1));
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

/** The facts a corpus with these options mentions (each at least once when there are enough documents). */
export function tinyCorpusFacts(options: Pick<TinyCorpusOptions, 'seed' | 'factShare'> = {}): TinyFact[] {
  const share = options.factShare ?? 1;
  if (typeof share !== 'number' || !Number.isFinite(share) || share < 0 || share > 1) {
    throw new JudgekitError('config', `tinyCorpus: \`factShare\` must be a number from 0 to 1, got ${String(share)}.`);
  }
  if (share === 1) return [...TINY_FACTS];
  const order = shuffled(TINY_FACTS, seededRandom(`facts:${String(options.seed ?? 0)}`));
  return order.slice(0, Math.floor(TINY_FACTS.length * share));
}

function sentence(random: Random, facts: readonly TinyFact[]): string {
  const kind = between(random, 0, facts.length > 0 ? 5 : 3);
  if (kind === 0) {
    const a = between(random, 1, 60);
    const b = between(random, 1, 60);
    return pick(random, [`${a} + ${b} = ${a + b}.`, `${a} plus ${b} is ${a + b}.`]);
  }
  if (kind === 1) {
    const a = between(random, 10, 99);
    const b = between(random, 1, a);
    return pick(random, [`${a} - ${b} = ${a - b}.`, `${a} minus ${b} is ${a - b}.`]);
  }
  if (kind === 2) {
    const a = between(random, 2, 12);
    const b = between(random, 2, 12);
    return pick(random, [`${a} * ${b} = ${a * b}.`, `${a} times ${b} is ${a * b}.`]);
  }
  if (kind === 3) {
    const word = pick(random, TINY_WORDS);
    return pick(random, [
      `The word ${word} in capital letters is ${word.toUpperCase()}.`,
      `Spelled backwards, ${word} is ${[...word].reverse().join('')}.`,
      `She said the word ${word} and he repeated it: ${word}.`,
    ]);
  }
  const fact = pick(random, facts);
  if (fact.kind === 'capital' && random() < 0.5) return `${fact.country} is a country, and its capital city is ${fact.capital}.`;
  return factSentence(fact);
}

/** Deterministic plain-text documents (default 200) of 3 to 8 sentences each. */
export function tinyCorpus(options: TinyCorpusOptions = {}): string[] {
  const count = options.count ?? TINY_CORPUS_DEFAULT_COUNT;
  if (!Number.isInteger(count) || count < 0) {
    throw new JudgekitError('config', `tinyCorpus: \`count\` must be a non-negative integer, got ${String(count)}.`);
  }
  const facts = tinyCorpusFacts(options);
  const random = seededRandom(options.seed ?? 0);
  const documents: string[] = [];
  for (let i = 0; i < count; i++) {
    const sentences: string[] = [];
    // Open each document with the next fact in turn, so every included fact is stated at least once.
    const opening = facts[i % Math.max(facts.length, 1)];
    if (opening) sentences.push(factSentence(opening));
    const length = between(random, 3, 8);
    while (sentences.length < length) sentences.push(sentence(random, facts));
    documents.push(sentences.join(' '));
  }
  return documents;
}

import { describe, expect, it } from 'vitest';
import type { AlpacaRecord } from '../contracts/records.js';
import { buildKnownQualitySet, keptUnits, knownOrderedPairs, knownQualityAnswers, knownTierMatrix, splitSentences, type KnownQualityItem } from './known-quality-set.js';

const WORDS = ['apple', 'river', 'stone', 'cloud', 'piano', 'tiger', 'lemon', 'candle', 'forest', 'violet', 'copper', 'harbor'];

/** Records whose references have `sentences` sentences, each naming its item and position. */
function records(count: number, sentences = 4): AlpacaRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    instruction: `Describe the ${WORDS[i % WORDS.length]} number ${i}.`,
    input: '',
    output: Array.from({ length: sentences }, (_, s) => `Item ${i} fact ${s} is about ${WORDS[(i + s) % WORDS.length]}.`).join(' '),
  }));
}

function sentencesOf(text: string): string[] {
  return splitSentences(text);
}

describe('buildKnownQualitySet', () => {
  it('gives each item the reference, three nested sentence-dropped versions (3, 2 and 1 of 4 sentences kept), another item\'s reference and an empty answer', () => {
    const set = buildKnownQualitySet(records(5), { seed: 7 });
    expect(set.levels).toEqual(['reference', 'keep-75', 'keep-50', 'keep-25', 'other-item', 'empty']);
    expect(set.items).toHaveLength(5);
    for (const item of set.items) {
      const reference = sentencesOf(item.output);
      expect(item.answers.reference).toBe(item.output);
      expect(item.unit).toBe('sentences');
      expect(item.kept).toEqual({ 'keep-75': 3, 'keep-50': 2, 'keep-25': 1 });
      const k75 = sentencesOf(item.answers['keep-75']!);
      const k50 = sentencesOf(item.answers['keep-50']!);
      const k25 = sentencesOf(item.answers['keep-25']!);
      expect([k75.length, k50.length, k25.length]).toEqual([3, 2, 1]);
      // Nested, in the reference's order.
      expect(k75.every((s) => reference.includes(s))).toBe(true);
      expect(k50.every((s) => k75.includes(s))).toBe(true);
      expect(k25.every((s) => k50.includes(s))).toBe(true);
      expect(k75).toEqual(reference.filter((s) => k75.includes(s)));
      expect(item.answers['other-item']).not.toBe(item.output);
      expect(item.answers['other-item']).toBe(records(5)[item.otherItem]!.output);
      expect(item.answers.empty).toBe('');
    }
  });

  it('keeps round(n·p) sentences, at least one and at least one fewer than the reference', () => {
    expect([0.75, 0.5, 0.25].map((p) => keptUnits(8, p))).toEqual([6, 4, 2]);
    expect([0.75, 0.5, 0.25].map((p) => keptUnits(3, p))).toEqual([2, 2, 1]);
    expect([0.75, 0.5, 0.25].map((p) => keptUnits(2, p))).toEqual([1, 1, 1]);
    expect(keptUnits(1, 0.75)).toBe(1);
  });

  it('repeats exactly with the same seed and drops different sentences with another seed', () => {
    const data = records(6, 8);
    const a = buildKnownQualitySet(data, { seed: 1 });
    const b = buildKnownQualitySet(data, { seed: 1 });
    const c = buildKnownQualitySet(data, { seed: 2 });
    expect(b).toEqual(a);
    expect(c.items.map((item) => item.answers['keep-50'])).not.toEqual(a.items.map((item) => item.answers['keep-50']));
  });

  it('samples --items records by seed, in dataset order, and skips records without a reference', () => {
    const data = records(10);
    data[3] = { ...data[3]!, output: '   ' };
    const set = buildKnownQualitySet(data, { seed: 5, items: 4 });
    expect(set.items).toHaveLength(4);
    const sources = set.items.map((item) => item.source);
    expect(sources).toEqual([...sources].sort((x, y) => x - y));
    expect(sources).not.toContain(3);
    expect(set.skipped).toEqual([{ source: 3, reason: 'empty reference (output)' }]);
    expect(buildKnownQualitySet(data, { seed: 5, items: 4 }).items.map((item) => item.source)).toEqual(sources);
  });

  it('knows the order reference > keep-75 > keep-50 > keep-25 > {other-item, empty}: 14 ordered pairs, other-item vs empty not among them', () => {
    const set = buildKnownQualitySet(records(3), { seed: 3 });
    const item = set.items[0] as KnownQualityItem;
    const pairs = knownOrderedPairs(item, set.levels);
    expect(pairs).toHaveLength(14);
    expect(pairs).toContainEqual(['reference', 'keep-75']);
    expect(pairs).toContainEqual(['keep-75', 'keep-50']);
    expect(pairs).toContainEqual(['keep-50', 'keep-25']);
    expect(pairs).toContainEqual(['keep-25', 'other-item']);
    expect(pairs).toContainEqual(['keep-25', 'empty']);
    expect(pairs.some(([a, b]) => (a === 'other-item' && b === 'empty') || (a === 'empty' && b === 'other-item'))).toBe(false);
    expect(knownTierMatrix(set)[0]).toEqual([4, 3, 2, 1, 0, 0]);
  });

  it('does not order identical texts: with two sentences every degraded level is the same one sentence and shares one tier (11 ordered pairs)', () => {
    const set = buildKnownQualitySet(records(3, 2), { seed: 3 });
    const item = set.items[0] as KnownQualityItem;
    expect(item.answers['keep-75']).toBe(item.answers['keep-25']);
    expect(item.known).toMatchObject({ reference: 4, 'keep-75': 3, 'keep-50': 3, 'keep-25': 3, 'other-item': 0, empty: 0 });
    expect(knownOrderedPairs(item, set.levels)).toHaveLength(11);
  });

  it('drops words when the reference is one sentence', () => {
    const set = buildKnownQualitySet(
      [
        { instruction: 'a', input: '', output: 'one two three four five six seven eight' },
        { instruction: 'b', input: '', output: 'Paris' },
      ],
      { seed: 1 },
    );
    const [long, short] = set.items as [KnownQualityItem, KnownQualityItem];
    expect(long.unit).toBe('words');
    expect(long.answers['keep-25']!.split(' ')).toHaveLength(2);
    // A one-word reference cannot lose anything: its degraded levels are the reference and not ordered against it.
    expect(short.answers['keep-50']).toBe('Paris');
    expect(knownOrderedPairs(short, set.levels).filter(([a, b]) => a === 'reference' && b.startsWith('keep'))).toEqual([]);
  });

  it('adds wrong-fluent, the reference of the item with the most similar instruction, when asked', () => {
    const data: AlpacaRecord[] = [
      { instruction: 'Name the capital city of France.', input: '', output: 'Paris is the capital. It is on the Seine.' },
      { instruction: 'Name the capital city of Italy.', input: '', output: 'Rome is the capital. It is on the Tiber.' },
      { instruction: 'Add the two numbers 2 and 3.', input: '', output: 'The sum is 5. That is all.' },
    ];
    const set = buildKnownQualitySet(data, { seed: 1, wrongFluent: true });
    expect(set.levels).toEqual(['reference', 'keep-75', 'keep-50', 'keep-25', 'other-item', 'wrong-fluent', 'empty']);
    expect(set.items[0]!.answers['wrong-fluent']).toBe(data[1]!.output);
    expect(set.items[0]!.similarItem?.source).toBe(1);
    expect(set.items[0]!.known['wrong-fluent']).toBe(0);
  });

  it('writes one pseudo-model per level whose answers are that level\'s texts', () => {
    const set = buildKnownQualitySet(records(3), { seed: 3 });
    const answers = knownQualityAnswers(set);
    expect(answers.map((a) => a.name)).toEqual(set.levels);
    expect(answers[1]!.records[2]!.model_response).toBe(set.items[2]!.answers['keep-75']);
    expect(answers[5]!.records.every((r) => r.model_response === '')).toBe(true);
    expect(answers[0]!.records[1]!.output).toBe(set.items[1]!.output);
  });

  it('refuses a dataset with fewer than two references', () => {
    expect(() => buildKnownQualitySet([{ instruction: 'x', input: '', output: 'y' }])).toThrow(/at least two records with a non-empty `output`/);
  });
});

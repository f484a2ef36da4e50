import { formatAlpacaPrompt, sha256Hex, splitDataset } from '@judgekit/core';
import { describe, expect, it } from 'vitest';
import { TINY_FACTS, TINY_WORDS } from './tiny-facts.js';
import { TINY_TASK_CATEGORIES, tinyTaskCategory, tinyTaskItems, tinyTasks } from './tiny-tasks.js';

describe('tinyTasks', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = tinyTasks();
    expect(a).toHaveLength(300);
    expect(tinyTasks()).toEqual(a);
    expect(tinyTasks({ seed: 1 })).not.toEqual(a);
    expect(tinyTasks({ count: 50 })).toEqual(a.slice(0, 50));
  });

  it('is pinned: the default set does not drift between versions', () => {
    // If this changes on purpose, every saved demo run changes too: update the hash and say so in the changelog.
    expect(sha256Hex(JSON.stringify(tinyTasks()))).toBe('066989b96be1d5639c1b49863416beff8dc4bcb7a362ad5b301ac84e2fdfd4e6');
  });

  it('produces plain Alpaca records with correct answers', () => {
    for (const { record, category } of tinyTaskItems({ count: 500, seed: 3 })) {
      expect(Object.keys(record).sort()).toEqual(['input', 'instruction', 'output']);
      expect(tinyTaskCategory(record)).toBe(category);
      if (category === 'arithmetic') {
        const m = /^(\d+) ([-+*]) (\d+) = (\d+)\.$/.exec(record.output);
        expect(m).not.toBeNull();
        const [, x, op, y, z] = m!;
        const expected = op === '+' ? Number(x) + Number(y) : op === '-' ? Number(x) - Number(y) : Number(x) * Number(y);
        expect(Number(z)).toBe(expected);
        if (record.input) expect(record.input).toBe(`${x} and ${y}`);
        else expect(record.instruction).toBe(`What is ${x} ${op} ${y}?`);
      }
      if (category === 'copy') expect(record.output).toBe(record.input);
      if (category === 'uppercase') expect(record.output).toBe(record.input.toUpperCase());
      if (category === 'reverse') expect([...record.output].reverse().join('')).toBe(record.input);
      if (category === 'copy' || category === 'uppercase' || category === 'reverse') expect(TINY_WORDS).toContain(record.input);
      if (category === 'fact') expect(record.output).toMatch(/^(The capital of .+ is .+|An? .+ is [a-z]+)\.$/);
    }
  });

  it('gives the example answers of the brief', () => {
    const records = tinyTasks({ count: 2000 });
    expect(records.some((r) => r.instruction === 'Repeat the following word.' && r.input === 'apple' && r.output === 'apple')).toBe(true);
    expect(records).toContainEqual({ instruction: 'What is the capital of Veloria?', input: '', output: 'The capital of Veloria is Brindle.' });
    expect(records).toContainEqual({ instruction: 'What colour is a banana?', input: '', output: 'A banana is yellow.' });
  });

  it('balances the families and keeps all of them in every split', () => {
    const items = tinyTaskItems();
    const counts = Object.fromEntries(TINY_TASK_CATEGORIES.map((c) => [c, items.filter((i) => i.category === c).length]));
    expect(counts).toEqual({ arithmetic: 60, copy: 60, uppercase: 60, reverse: 60, fact: 60 });
    const split = splitDataset(items);
    expect([split.train.length, split.test.length, split.validation.length]).toEqual([255, 30, 15]);
    for (const part of [split.train, split.test, split.validation]) {
      expect(new Set(part.map((i) => i.category)).size).toBe(5);
    }
  });

  it('has no duplicate records in the default set and uses the input block sometimes', () => {
    const records = tinyTasks();
    expect(new Set(records.map((r) => JSON.stringify(r))).size).toBe(records.length);
    const withInput = records.filter((r) => r.input !== '').length;
    expect(withInput).toBeGreaterThan(100);
    expect(withInput).toBeLessThan(300);
    expect(formatAlpacaPrompt(records[0]!)).toContain('### Instruction:\n');
  });

  it('only states facts from the bundled table', () => {
    const sentences = new Set(TINY_FACTS.map((f) => (f.kind === 'capital' ? `The capital of ${f.country} is ${f.capital}.` : '')));
    for (const r of tinyTasks({ count: 1000 })) {
      if (r.output.startsWith('The capital of')) expect(sentences.has(r.output)).toBe(true);
    }
    expect(TINY_FACTS.length).toBe(40);
  });

  it.each([[-1], [1.5], [Number.NaN]])('rejects count %s', (count) => {
    expect(() => tinyTasks({ count })).toThrowError(/`count` must be a non-negative integer/);
  });

  it('classifies records that are not tiny tasks as undefined', () => {
    expect(tinyTaskCategory({ instruction: 'Rewrite the sentence using a simile.' })).toBeUndefined();
    expect(tinyTaskCategory({ instruction: 'What is 2 + 2?' })).toBe('arithmetic');
  });
});

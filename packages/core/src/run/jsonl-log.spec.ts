import { appendFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeLog, encodeLogLine, JsonlLog } from './jsonl-log.js';

describe('JsonlLog', () => {
  it('reads back what it appended, last value per key winning', async () => {
    const log = new JsonlLog<{ n: number }>(join(await mkdtemp(join(tmpdir(), 'jsonl-')), 'sub', 'log.jsonl'));
    await Promise.all([log.append('a', { n: 1 }), log.append('b', { n: 2 }), log.append('a', { n: 3 })]);
    const { entries, problems } = await log.read();
    expect(problems).toEqual([]);
    expect([...entries]).toEqual([
      ['a', { n: 3 }],
      ['b', { n: 2 }],
    ]);
  });

  it('appends several records in one write, in order, behind earlier appends', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'jsonl-')), 'log.jsonl');
    const log = new JsonlLog<number>(path);
    await Promise.all([log.append('a', 1), log.appendAll([['b', 2], ['c', 3]]), log.append('b', 4)]);
    expect((await readFile(path, 'utf8')).split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { key: string }).key)).toEqual(['a', 'b', 'c', 'b']);
    const { entries, problems } = await log.read();
    expect(problems).toEqual([]);
    expect([...entries]).toEqual([
      ['a', 1],
      ['b', 4],
      ['c', 3],
    ]);
  });

  it('reports a torn last line and an edited line, and keeps the good ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jsonl-'));
    const path = join(dir, 'log.jsonl');
    const edited = encodeLogLine('b', { n: 2 }).replace('"n":2', '"n":20');
    await writeFile(path, encodeLogLine('a', { n: 1 }) + edited + encodeLogLine('c', { n: 3 }).slice(0, 20));
    const { entries, problems } = await new JsonlLog<{ n: number }>(path).read();
    expect([...entries.keys()]).toEqual(['a']);
    expect(problems).toEqual([
      { line: 2, reason: 'checksum mismatch for "b"' },
      { line: 3, reason: 'incomplete last line (interrupted write)' },
    ]);
  });

  it('starts a fresh line after a torn one, so the next record survives', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'jsonl-')), 'log.jsonl');
    await appendFile(path, encodeLogLine('a', 1) + '{"key":"b","su');
    const log = new JsonlLog<number>(path);
    await log.append('c', 3);
    const { entries, problems } = await log.read();
    expect([...entries]).toEqual([
      ['a', 1],
      ['c', 3],
    ]);
    expect(problems).toHaveLength(1);
    expect((await readFile(path, 'utf8')).split('\n').filter(Boolean)).toHaveLength(3);
  });

  it.each([
    ['not json', 'not valid JSON'],
    ['{"key":1,"sum":"x","value":2}', 'missing key, sum or value'],
    ['{"key":"k","value":2}', 'missing key, sum or value'],
  ])('rejects the line %s', (line, reason) => {
    expect(decodeLog(`${line}\n`).problems).toEqual([{ line: 1, reason }]);
  });

  it('reads a missing file as empty', async () => {
    const { entries, problems } = await new JsonlLog(join(tmpdir(), 'does-not-exist', 'x.jsonl')).read();
    expect(entries.size).toBe(0);
    expect(problems).toEqual([]);
  });
});

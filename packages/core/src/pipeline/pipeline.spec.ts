import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Pipeline, STAGES_FILE, type Stage } from './pipeline.js';

function stage(name: string, calls: string[], fingerprint: () => unknown = () => null, fail = false): Stage {
  return {
    name,
    fingerprint,
    async run() {
      calls.push(name);
      if (fail) throw new Error(`${name} failed`);
    },
  };
}

describe('Pipeline', () => {
  it('runs stages in order, then skips them all on a rerun and says so', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'judgekit-pipeline-'));
    const calls: string[] = [];
    const messages: string[] = [];
    const pipeline = new Pipeline([stage('a', calls), stage('b', calls)]);
    expect(await pipeline.run(dir)).toEqual({ ran: ['a', 'b'], skipped: [] });
    expect(await pipeline.run(dir, { log: (m) => messages.push(m) })).toEqual({ ran: [], skipped: ['a', 'b'] });
    expect(calls).toEqual(['a', 'b']);
    expect(messages.at(-1)).toMatch(/nothing to do/);
  });

  it('reruns a stage whose fingerprint changed and every stage after it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'judgekit-pipeline-'));
    let version = 1;
    const calls: string[] = [];
    const make = () => new Pipeline([stage('a', calls), stage('b', calls, () => ({ version })), stage('c', calls)]);
    await make().run(dir);
    version = 2;
    calls.length = 0;
    expect(await make().run(dir)).toEqual({ ran: ['b', 'c'], skipped: ['a'] });
    expect(calls).toEqual(['b', 'c']);
  });

  it('records nothing for a failed stage, so the rerun does it again', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'judgekit-pipeline-'));
    const calls: string[] = [];
    await expect(new Pipeline([stage('a', calls), stage('b', calls, () => null, true)]).run(dir)).rejects.toThrow('b failed');
    calls.length = 0;
    expect(await new Pipeline([stage('a', calls), stage('b', calls)]).run(dir)).toEqual({ ran: ['b'], skipped: ['a'] });
  });

  it('does not trust a corrupted stage record', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'judgekit-pipeline-'));
    const calls: string[] = [];
    await new Pipeline([stage('a', calls)]).run(dir);
    const file = join(dir, STAGES_FILE);
    await writeFile(file, (await readFile(file, 'utf8')).replace('"seconds":', '"seconds":1'));
    calls.length = 0;
    await new Pipeline([stage('a', calls)]).run(dir);
    expect(calls).toEqual(['a']);
  });

  it('refuses two stages with one name', () => {
    expect(() => new Pipeline([stage('a', []), stage('a', [])])).toThrow(/unique/);
  });
});

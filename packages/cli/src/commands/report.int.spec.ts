// The real path end to end: `judgekit judge` (judges plugin, openai SDK) against the judge simulator in both
// modes with repeats, then `judgekit report` on the run directory; the report recovers the planted slot effect.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plantedRun, startJudgeSimulator, type JudgeSimulator } from '@judgekit/report/testing';
import { main } from '../main.js';
import { parsePrices } from './report.js';
import { capture as sink } from '../../test/support/run-main.js';


const POSITION = [8, 0, -8];
let dir: string;
let sim: JudgeSimulator;
const files: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'judgekit-cli-report-'));
  const planted = plantedRun(
    [
      { name: 'medium', quality: 65 },
      { name: 'small', quality: 55 },
      { name: 'local', quality: 45 },
    ],
    12,
    'cli',
  );
  for (const model of planted.items.models) {
    const records = planted.items.items.map((item, i) => ({ instruction: item.instruction, input: item.input, output: item.output, model_response: model.responses[i] ?? '' }));
    const file = join(dir, `${model.name}-ift-test-results.json`);
    await writeFile(file, JSON.stringify(records));
    files.push(file);
  }
  sim = await startJudgeSimulator({ quality: planted.quality, callMoodSd: 6, answerNoiseSd: 2, positionEffects: POSITION, seed: 3 });
});

afterAll(async () => {
  await sim?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('judgekit judge against the simulator, then judgekit report', () => {
  it('writes a report whose slot effects bracket the planted ones', async () => {
    const run = join(dir, 'run');
    const env = { ...process.env, OPENAI_API_KEY: 'sk-simulator', OPENAI_BASE_URL: sim.baseURL, JUDGEKIT_CACHE_DIR: join(dir, 'cache'), CI: '1' };
    for (const mode of ['batched', 'single']) {
      const out = sink();
      const err = sink();
      const code = await main(['judge', '--mode', mode, '--judge', 'openai:judge-simulator', '--out', run, '--repeats', '3', '--seed', '1', '--reseed-per-repeat', '--concurrency', '4', ...files], { stdout: out.stream, stderr: err.stream, env, cwd: dir });
      expect(code, `judge --mode ${mode} failed: ${err.text()}`).toBe(0);
    }
    expect(sim.calls).toBe(12 * 3 + 12 * 3 * 3);

    const out = sink();
    const err = sink();
    const code = await main(['report', run, '--resamples', '300', '--price', 'judge-simulator=1.25/10'], { stdout: out.stream, stderr: err.stream, env, cwd: dir });
    expect(err.text()).toBe('');
    expect(code).toBe(0);
    expect(out.text()).toContain('## Scores (mean over items, 95% bootstrap CI)');
    expect(out.text()).toMatch(/Wrote .*report\.html and .*report\.md/);
    const html = await readFile(join(run, 'report.html'), 'utf8');
    expect(html).toContain('id="position"');
    const md = await readFile(join(run, 'report.md'), 'utf8');
    // "- **batched**: #1 +8.1 [6.9, 9.2], #2 ..., #3 ..."
    const line = md.split('\n').find((l) => l.startsWith('- **batched**: #1'));
    expect(line).toBeDefined();
    const slots = [...(line as string).matchAll(/#(\d) ([+-]?[\d.]+) \[([-\d.]+), ([-\d.]+)\]/g)].map((m) => [Number(m[2]), Number(m[3]), Number(m[4])]);
    expect(slots).toHaveLength(3);
    slots.forEach(([, lo, hi], s) => {
      expect(lo).toBeLessThanOrEqual(POSITION[s] as number);
      expect(hi).toBeGreaterThanOrEqual(POSITION[s] as number);
    });
    expect(md).toMatch(/\| batched \| batched \| 36 \|/);
    expect(md).toMatch(/\| single \| single \| 108 \|/);
  });

  it('per-call mood: with the real runner, batched rankings hold across repeats while single ones move', async () => {
    const planted = plantedRun(
      [
        { name: 'alpha', quality: 60 },
        { name: 'beta', quality: 57 },
        { name: 'gamma', quality: 54 },
        { name: 'delta', quality: 51 },
      ],
      12,
      'cli-mood',
    );
    const moodDir = join(dir, 'mood');
    const answerFiles: string[] = [];
    await mkdir(moodDir, { recursive: true });
    for (const model of planted.items.models) {
      const file = join(moodDir, `${model.name}-ift-test-results.json`);
      await writeFile(file, JSON.stringify(planted.items.items.map((item, i) => ({ instruction: item.instruction, input: item.input, output: item.output, model_response: model.responses[i] ?? '' }))));
      answerFiles.push(file);
    }
    const moody = await startJudgeSimulator({ quality: planted.quality, callMoodSd: 15, positionEffects: [6, 2, -2, -6], seed: 21 });
    try {
      const run = join(moodDir, 'run');
      const env = { ...process.env, OPENAI_API_KEY: 'sk-simulator', OPENAI_BASE_URL: moody.baseURL, JUDGEKIT_CACHE_DIR: join(moodDir, 'cache'), CI: '1' };
      for (const mode of ['single', 'batched']) {
        // One call at a time: identical single prompts of different repeats then reach the simulator in a fixed order.
        const err = sink();
        const code = await main(['judge', '--mode', mode, '--judge', 'openai:judge-simulator', '--out', run, '--repeats', '4', '--seed', '2', '--reseed-per-repeat', '--concurrency', '1', ...answerFiles], { stdout: sink().stream, stderr: err.stream, env, cwd: moodDir });
        expect(code, err.text()).toBe(0);
      }
      const { writeRunReport } = await import('@judgekit/report');
      const { analysis } = await writeRunReport(run, { resamples: 200 });
      const single = analysis.judges.find((j) => j.mode === 'single')!;
      const batched = analysis.judges.find((j) => j.mode === 'batched')!;
      expect(batched.rankStability.sameRankingShare).toBe(1);
      expect(batched.rankStability.kendallW).toBeCloseTo(1, 10);
      expect(single.rankStability.kendallW).toBeLessThan(0.95);
      expect(single.rankStability.sameRankingShare).toBeLessThan(1);
    } finally {
      await moody.close();
    }
  });

  it.each([
    [['gpt-5.1=1.25/10'], { 'gpt-5.1': { input: 1.25, output: 10 } }],
    [['a:b=0/0.5'], { 'a:b': { input: 0, output: 0.5 } }],
  ])('parsePrices(%j)', (values, expected) => {
    expect(parsePrices(values)).toEqual(expected);
  });

  it('tags items with an LLM when asked (--tagger provider:model)', async () => {
    const { startFakeLlmServer } = await import('@judgekit/judges/testing');
    const fake = await startFakeLlmServer((request) => (request.prompt.includes('Classify this instruction-following task') ? 'Reasoning/math' : 'not a category'));
    try {
      const run = join(dir, 'run');
      const out = sink();
      const err = sink();
      const env = { ...process.env, OPENAI_API_KEY: 'sk-fake', OPENAI_BASE_URL: fake.openaiBaseURL, JUDGEKIT_CACHE_DIR: join(dir, 'tag-cache') };
      const code = await main(['report', run, '--resamples', '100', '--tagger', 'openai:tagger-model', '--out', join(dir, 'tagged')], { stdout: out.stream, stderr: err.stream, env, cwd: dir });
      expect(code, err.text()).toBe(0);
      // 12 items over 10 distinct instructions: identical prompts may be answered from the cache.
      expect(new Set(fake.requests.map((r) => r.prompt)).size).toBe(10);
      const calls = fake.requests.length;
      expect(fake.requests[0]?.model).toBe('tagger-model');
      expect(out.text()).toContain('| reasoning/math (12) |');
      // A second report reuses the cached tags: no new calls.
      expect(await main(['report', run, '--resamples', '100', '--tagger', 'openai:tagger-model', '--out', join(dir, 'tagged'), '--quiet'], { stdout: sink().stream, stderr: err.stream, env, cwd: dir })).toBe(0);
      expect(fake.requests).toHaveLength(calls);
    } finally {
      await fake.close();
    }
  });

  it('sets another run beside this one with --compare: per model differences, here all zero against itself', async () => {
    const run = join(dir, 'run');
    const out = sink();
    const err = sink();
    const code = await main(['report', run, '--compare', run, '--resamples', '100', '--out', join(dir, 'compared')], { stdout: out.stream, stderr: err.stream, env: process.env, cwd: dir });
    expect(code, err.text()).toBe(0);
    expect(out.text()).toContain('## Compared with another run');
    expect(out.text()).toMatch(/\| medium \| 12 \| [\d.]+ \| [\d.]+ \| 0\.00 \[0\.00, 0\.00\] \| 0 \|/);
    const html = await readFile(join(dir, 'compared', 'report.html'), 'utf8');
    expect(html).toContain('<section id="compare">');
  });

  it('explains a missing run directory', async () => {
    const err = sink();
    const code = await main(['report', join(dir, 'nope')], { stdout: sink().stream, stderr: err.stream, env: process.env, cwd: dir });
    expect(code).toBe(1);
    expect(err.text()).toMatch(/items\.json does not exist: is this a run directory\?/);
  });
});

// Issue 14 point 4: `judgekit calibrate` against the scriptable local judge server, through the real openai SDK. A
// judge scripted to score answers by their overlap with the reference orders the known-quality set right; one
// scripted to prefer longer answers is fooled by another item's (full-length) answer and reports lower accuracy.
import 'reflect-metadata';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pairwisePromptAnswers, rougeLF1, type CalibrationFile, type JudgeCalibration } from '@judgekit/core';
import { batchedPromptAnswers, batchedReplyFor, fencedBlocks, singlePromptAnswer, startFakeLlmServer, type FakeLlmServer, type FakeRequest } from '@judgekit/judges/testing';
import { runMain } from './support/run-main.js';

const KEY = 'sk-calibrate-test-not-a-real-key';
let server: FakeLlmServer;
let root: string;

/** The reference a judge prompt shows (single: "correct output `...`"; batched: the fenced example output). */
function referenceOf(prompt: string): string {
  const single = /and correct output `([\s\S]*)`, score the model response `/.exec(prompt);
  if (single) return single[1] as string;
  return fencedBlocks(prompt).find((block) => block.heading === 'An example correct output is this:')?.text ?? '';
}

const words = (text: string): number => text.split(/\s+/).filter((w) => w !== '').length;

/** quality-judge: ROUGE-L F1 with the reference x 100; length-judge: 5 points a word; coin-judge: arrival order. */
function scoreFor(request: FakeRequest, answer: string): number {
  if (request.model === 'quality-judge') return Math.round(100 * rougeLF1(answer, referenceOf(request.prompt)));
  if (request.model === 'length-judge') return Math.min(100, 5 * words(answer));
  return (request.seq * 37) % 101;
}

beforeAll(async () => {
  server = await startFakeLlmServer((request) => {
    const usage = { prompt: 100, completion: 5 };
    const pair = pairwisePromptAnswers(request.prompt);
    if (pair.length === 2) {
      const [a, b] = pair.map((answer) => scoreFor(request, answer)) as [number, number];
      return { text: JSON.stringify({ winner: a > b ? 'A' : b > a ? 'B' : 'tie' }), usage };
    }
    const single = singlePromptAnswer(request.prompt);
    if (single !== undefined && batchedPromptAnswers(request.prompt).length === 0) return { text: String(scoreFor(request, single)), usage };
    return { text: batchedReplyFor(request.prompt, (answer) => scoreFor(request, answer)), usage };
  });
  root = await mkdtemp(join(tmpdir(), 'judgekit-calibrate-'));
  // Twelve items; each reference is four three-word sentences of words no other item uses, so another item's answer
  // shares nothing with the reference (the quality judge gives it 0) but is as long as it (the length judge gives 60).
  const records = Array.from({ length: 12 }, (_, i) => ({
    instruction: `Write the four facts of topic ${i}.`,
    input: i % 2 === 0 ? `Topic ${i}` : '',
    output: Array.from({ length: 4 }, (_, s) => `Zq${i}s${s}a zq${i}s${s}b zq${i}s${s}c.`).join(' '),
  }));
  await writeFile(join(root, 'dataset.json'), JSON.stringify(records));
  await writeFile(join(root, 'prices.json'), JSON.stringify({ 'openai:quality-judge': { input: 1, output: 2 } }));
}, 60_000);

afterAll(async () => {
  await server?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

const env = () => ({ OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.openaiBaseURL, JUDGEKIT_CACHE_DIR: join(root, 'cache') });

async function calibrate(args: string[]): Promise<{ code: number; stdout: string; stderr: string; requests: number }> {
  const before = server.requests.length;
  const result = await runMain(['calibrate', '--dataset', 'dataset.json', '--prices', 'prices.json', '--resamples', '200', ...args], { cwd: root, env: env() });
  return { ...result, requests: server.requests.length - before };
}

const judgeNamed = (file: CalibrationFile, name: string): JudgeCalibration => {
  const found = file.judges.find((judge) => judge.judge === name);
  if (!found) throw new Error(`no judge ${name} in calibration.json: ${file.judges.map((judge) => judge.judge).join(', ')}`);
  return found;
};

describe('judgekit calibrate', () => {
  let file: CalibrationFile;

  beforeAll(async () => {
    const run = await calibrate(['--judge', 'openai:quality-judge', '--judge', 'openai:length-judge', '--mode', 'single,batched', '--items', '10', '--seed', '3', '--out', 'cal']);
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.code).toBe(0);
    // single: 6 answers x 10 items per judge; batched: one call per item.
    expect(run.requests).toBe(2 * (60 + 10));
    file = JSON.parse(await readFile(join(root, 'cal', 'calibration.json'), 'utf8')) as CalibrationFile;
  }, 120_000);

  it('reports lower pairwise ordering accuracy for a judge that prefers longer answers than for one that scores by overlap with the reference', () => {
    for (const mode of ['single', 'batched']) {
      const quality = judgeNamed(file, `${mode}-openai-quality-judge`);
      const length = judgeNamed(file, `${mode}-openai-length-judge`);
      // Quality: every known-ordered pair right. Length: per item 14 pairs, other-item (60) beats keep-75/50/25 (3
      // wrong) and ties the reference (½): 10.5/14.
      expect(quality.accuracy.value).toBe(1);
      expect(length.accuracy.value).toBeCloseTo(10.5 / 14, 12);
      expect(length.accuracy.value).toBeLessThan(quality.accuracy.value);
      expect(length.accuracy.ci95[1]).toBeLessThan(quality.accuracy.ci95[0]);
      expect(quality.accuracy.pairs).toBe(140);
      // Kendall tau: the quality judge ties exactly the pair the known order ties (other-item, empty: both 0).
      expect(quality.kendallTau.mean).toBeCloseTo(1, 12);
      expect(length.kendallTau.mean).toBeLessThan(quality.kendallTau.mean);
      expect(quality.levels.map((level) => level.mean)).toEqual([100, 86, 67, 40, 0, 0]);
      expect(length.levels.map((level) => level.mean)).toEqual([60, 45, 30, 15, 60, 0]);
    }
  });

  it('measures slot bias for batched judges only (none here: the scripted scores ignore the slot) and leaves flip rate out with one repeat', () => {
    const batched = judgeNamed(file, 'batched-openai-quality-judge');
    expect(batched.slotBias?.slots).toHaveLength(6);
    expect(batched.slotBias!.effectRange).toBeLessThan(1e-6);
    expect(judgeNamed(file, 'single-openai-quality-judge').slotBias).toBeNull();
    expect(batched.flip).toBeNull();
  });

  it('gives the cost per item from the spend log at the price table\'s price', () => {
    // 100 prompt + 5 completion tokens a request at $1/$2 per 1M: $0.00011 a request.
    const single = judgeNamed(file, 'single-openai-quality-judge');
    expect(single.cost).toMatchObject({ requests: 60, requestsPerItem: 6, tokensPerItem: 630 });
    expect(single.cost!.perItemUsd).toBeCloseTo(6 * 0.00011, 12);
    expect(judgeNamed(file, 'batched-openai-quality-judge').cost!.perItemUsd).toBeCloseTo(0.00011, 12);
    // No price for the length judge: tokens only.
    expect(judgeNamed(file, 'single-openai-length-judge').cost!.perItemUsd).toBeNull();
  });

  it('weights the panel by max(accuracy − 0.5, 0) and the panel orders the set right where the length judge does not', () => {
    expect(file.panel?.members.map((member) => [member.judge, member.weight])).toEqual([
      ['single-openai-quality-judge', expect.closeTo(1 / 3, 12)],
      ['batched-openai-quality-judge', expect.closeTo(1 / 3, 12)],
      ['single-openai-length-judge', expect.closeTo(1 / 6, 12)],
      ['batched-openai-length-judge', expect.closeTo(1 / 6, 12)],
    ]);
    expect(file.panel?.inSample).toBe(true);
    expect(file.panel?.calibration.accuracy.value).toBe(1);
  });

  it('writes calibration.md with one row per judge, and a rerun resumes without a call and gives the same numbers', async () => {
    const markdown = await readFile(join(root, 'cal', 'calibration.md'), 'utf8');
    expect(markdown).toMatch(/\| single-openai-quality-judge \| single \| openai:quality-judge \| 1 \| 100\.0% /);
    expect(markdown).toMatch(/\| single-openai-length-judge \| single \| openai:length-judge \| 1 \| 75\.0% /);
    const again = await calibrate(['--judge', 'openai:quality-judge', '--judge', 'openai:length-judge', '--mode', 'single,batched', '--items', '10', '--seed', '3', '--out', 'cal']);
    expect(again.code).toBe(0);
    expect(again.requests).toBe(0);
    const reread = JSON.parse(await readFile(join(root, 'cal', 'calibration.json'), 'utf8')) as CalibrationFile;
    expect(reread.judges.map((judge) => [judge.judge, judge.accuracy.value, judge.cost?.perItemUsd])).toEqual(file.judges.map((judge) => [judge.judge, judge.accuracy.value, judge.cost?.perItemUsd]));
  }, 120_000);

  it('reports the flip rate between repeats: 0 for a deterministic judge, above 0 for one that answers at random', async () => {
    const run = await calibrate(['--judge', 'openai:quality-judge,openai:coin-judge', '--items', '4', '--repeats', '2', '--out', 'flip']);
    expect(run.code).toBe(0);
    const flip = JSON.parse(await readFile(join(root, 'flip', 'calibration.json'), 'utf8')) as CalibrationFile;
    expect(judgeNamed(flip, 'single-openai-quality-judge').flip?.flipRate).toBe(0);
    expect(judgeNamed(flip, 'single-openai-coin-judge').flip?.flipRate).toBeGreaterThan(0.5);
    expect(judgeNamed(flip, 'single-openai-coin-judge').repeats).toBe(2);
  }, 120_000);

  it('calibrates a pairwise judge on its own verdicts, both orders of every pair: the length-preferring judge again scores lower', async () => {
    const run = await calibrate(['--judge', 'openai:quality-judge,openai:length-judge', '--mode', 'pairwise', '--items', '3', '--out', 'pairwise']);
    expect(run.code, run.stderr).toBe(0);
    // 15 pairs of the 6 answers, each in both orders, per item.
    expect(run.requests).toBe(2 * 3 * 30);
    const pairwise = JSON.parse(await readFile(join(root, 'pairwise', 'calibration.json'), 'utf8')) as CalibrationFile;
    const quality = judgeNamed(pairwise, 'pairwise-openai-quality-judge');
    const length = judgeNamed(pairwise, 'pairwise-openai-length-judge');
    expect(quality.accuracy).toMatchObject({ basis: 'comparisons', value: 1, pairs: 3 * 28 });
    // Per item 28 verdicts on ordered pairs: other-item beats keep-75/50/25 in both orders (6 wrong), ties the reference (2 halves).
    expect(length.accuracy.value).toBeCloseTo(21 / 28, 12);
  }, 120_000);

  it('puts each judge\'s calibration beside its scores in report.html and report.md, for the calibrate directory and for another run given --calibration', async () => {
    const own = await runMain(['report', 'cal', '--quiet', '--resamples', '200', '--no-categories'], { cwd: root, env: env() });
    expect(own.code).toBe(0);
    const ownMarkdown = await readFile(join(root, 'cal', 'report.md'), 'utf8');
    expect(ownMarkdown).toMatch(/## Judge calibration/);
    expect(ownMarkdown).toMatch(/\| single-openai-quality-judge \| single \| 100\.0% /);
    const ownHtml = await readFile(join(root, 'cal', 'report.html'), 'utf8');
    expect(ownHtml).toMatch(/<section id="calibration">/);
    expect(ownHtml).toMatch(/<td>batched-openai-length-judge<\/td><td>batched<\/td><td>75\.0% /);

    // A study run judged by both judges under other names: matched to the calibration by mode and provider:model.
    // alpha answers with the reference, beta with its first two sentences, gamma with 20 words of nothing.
    const dataset = JSON.parse(await readFile(join(root, 'dataset.json'), 'utf8')) as Array<{ instruction: string; input: string; output: string }>;
    const responses: Record<string, (reference: string) => string> = {
      alpha: (reference) => reference,
      beta: (reference) => reference.split(' ').slice(0, 6).join(' '),
      gamma: () => Array.from({ length: 20 }, (_, w) => `filler${w}`).join(' '),
    };
    for (const [name, respond] of Object.entries(responses)) {
      await writeFile(join(root, `${name}-ift-test-results.json`), JSON.stringify(dataset.slice(0, 5).map((record) => ({ ...record, model_response: respond(record.output) }))));
    }
    await writeFile(
      join(root, 'study.json'),
      JSON.stringify({
        runDir: 'run',
        models: ['alpha', 'beta', 'gamma'].map((name) => ({ name, answers: `${name}-ift-test-results.json` })),
        judges: [
          { name: 'q', mode: 'single', judge: 'openai:quality-judge' },
          { name: 'len', mode: 'single', judge: 'openai:length-judge' },
        ],
        reporters: [],
      }),
    );
    const study = await runMain(['run', 'study.json'], { cwd: root, env: env() });
    expect(study.code, study.stderr).toBe(0);
    const other = await runMain(['report', 'run', '--quiet', '--resamples', '200', '--no-categories', '--calibration', 'cal/calibration.json'], { cwd: root, env: env() });
    expect(other.code).toBe(0);
    const markdown = await readFile(join(root, 'run', 'report.md'), 'utf8');
    expect(markdown).toMatch(/\| q \| single \| 100\.0% /);
    expect(markdown).toMatch(/\| len \| single \| 75\.0% /);
    // The panel: q weighted 0.5/(0.5+0.25), len 0.25/(0.5+0.25).
    expect(markdown).toMatch(/Weights: q 0\.67, len 0\.33\./);
    // Panel item scores (2·q + len) / 3: alpha (200 + 60) / 3, beta (2·67 + 30) / 3, gamma (0 + 100) / 3.
    expect(markdown).toMatch(/\| alpha \| 100\.00 \[100\.00, 100\.00\] \| 60\.00 \[60\.00, 60\.00\] \| 86\.67 \[86\.67, 86\.67\] \|/);
    expect(markdown).toMatch(/\| beta \| 67\.00 \[67\.00, 67\.00\] \| 30\.00 \[30\.00, 30\.00\] \| 54\.67 \[54\.67, 54\.67\] \|/);
    expect(markdown).toMatch(/\| gamma \| 0\.00 \[0\.00, 0\.00\] \| 100\.00 \[100\.00, 100\.00\] \| 33\.33 \[33\.33, 33\.33\] \|/);
    const html = await readFile(join(root, 'run', 'report.html'), 'utf8');
    expect(html).toMatch(/<h3>Panel of calibrated judges<\/h3>/);
  }, 120_000);

  it('refuses a mode that does not score answers, and a missing --dataset, with usage errors', async () => {
    const mode = await calibrate(['--judge', 'openai:quality-judge', '--mode', 'reference', '--out', 'bad']);
    expect(mode.code).not.toBe(0);
    expect(mode.stderr).toMatch(/Unsupported --mode "reference" for calibrate\. Should be one of: single, batched, pairwise\./);
    const missing = await runMain(['calibrate', '--judge', 'openai:quality-judge', '--out', 'bad'], { cwd: root, env: env() });
    expect(missing.stderr).toMatch(/--dataset is required/);
    expect(missing.code).not.toBe(0);
    expect(mode.requests).toBe(0);
  });

  it('names the file and field of a calibration file that judgekit did not write', async () => {
    await writeFile(join(root, 'bad-calibration.json'), JSON.stringify({ kind: 'calibration', judges: [{ judge: 'x', mode: 'single', provider: 'openai' }] }));
    const result = await runMain(['report', 'cal', '--quiet', '--no-categories', '--out', 'bad-report', '--calibration', 'bad-calibration.json'], { cwd: root, env: env() });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/bad-calibration\.json: judges\[0\]\.model should be a string/);
  });
});

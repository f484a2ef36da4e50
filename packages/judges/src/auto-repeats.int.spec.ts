// `repeats auto` end to end: the single judge against the fake server (OpenAI's wire format, the real SDK), with a
// script that plants each answer's quality plus seeded noise per call. It stops at separation when the models
// differ strongly, reaches the maximum when they are equal (spending fewer calls than fixed repeats would), stops
// when no item disagrees with itself, and replays its decisions from the log and the cache with no calls.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskCache, JudgeCallRunner, JudgeRunner, loadAnswerFiles, seededRandom, singlePromptAnswer, type AutoRepeatsOptions, type RunResults } from '@judgekit/core';
import { OpenAiProvider } from './providers/openai-provider.js';
import { SingleJudge } from './single-judge.js';
import { startFakeLlmServer, type FakeLlmServer } from './testing/index.js';

let server: FakeLlmServer;
let root: string;
let noiseSd = 8;
const seen = new Map<string, number>();

/** Score = the answer's planted quality + N(0, noiseSd), a fresh draw each time the same prompt comes again. */
function script(request: { prompt: string }): string {
  const quality = Number(/quality (\d+)/.exec(singlePromptAnswer(request.prompt) ?? '')?.[1] ?? 50);
  const occurrence = seen.get(request.prompt) ?? 0;
  seen.set(request.prompt, occurrence + 1);
  // A "flip" answer scores 5 more on every call after its first.
  if (/ flip/.test(singlePromptAnswer(request.prompt) ?? '')) return String(quality + (occurrence > 0 ? 5 : 0));
  const random = seededRandom(`${occurrence}\n${request.prompt}`);
  const gaussian = Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random());
  return String(Math.round(Math.min(100, Math.max(0, quality + noiseSd * gaussian))));
}

async function answerFiles(name: string, qualities: number[], flipItems = 0): Promise<string[]> {
  const files: string[] = [];
  for (const [m, quality] of qualities.entries()) {
    const file = join(root, `${name}-m${m}-ift-test-results.json`);
    const records = Array.from({ length: 24 }, (_, i) => ({ instruction: `Task ${i} of ${name}`, input: '', output: `out ${i}`, model_response: `answer ${m} to ${i} of quality ${quality}${m === 0 && i < flipItems ? ' flip' : ''}` }));
    await writeFile(file, JSON.stringify(records));
    files.push(file);
  }
  return files;
}

beforeAll(async () => {
  server = await startFakeLlmServer(script);
  root = await mkdtemp(join(tmpdir(), 'judgekit-auto-'));
});
afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

async function run(name: string, qualities: number[], auto: AutoRepeatsOptions | undefined, outName = name, repeats?: number, flipItems = 0) {
  const answers = await loadAnswerFiles(await answerFiles(name, qualities, flipItems));
  const provider = new OpenAiProvider({ env: { OPENAI_API_KEY: 'sk-test' }, baseURL: server.openaiBaseURL });
  const calls = new JudgeCallRunner({ cache: new DiskCache(join(root, 'cache')), concurrency: 4 });
  const judge = new SingleJudge({ provider, calls, model: 'judge-auto', retries: 0, temperature: 1 });
  const notes: string[] = [];
  const before = server.requests.length;
  const outDir = join(root, outName);
  const summary = await new JudgeRunner().run({ answers, judge, calls, provider, outDir, ...(auto ? { autoRepeats: auto } : {}), ...(repeats ? { repeats } : {}), notify: (m) => notes.push(m), progress: { enabled: false } });
  const results = JSON.parse(await readFile(join(outDir, 'results.json'), 'utf8')) as RunResults;
  return { summary, results, notes, requests: server.requests.length - before };
}

describe('repeats auto', () => {
  it('stops after the first 2 repeats when the models differ strongly, saying it stopped because they are separated', async () => {
    noiseSd = 8;
    const { results, notes, requests, summary } = await run('strong', [20, 50, 80], { max: 6 });
    expect(requests).toBe(2 * 24 * 3);
    const auto = results.judges[0]?.autoRepeats;
    expect(auto).toMatchObject({ stopped: 'separated', repeats: 2, itemsPerRepeat: [24, 24], judgments: 48 });
    expect(auto?.pairs.map((p) => [p.higher, p.lower, p.separated])).toEqual([
      ['strong-m2', 'strong-m1', true],
      ['strong-m1', 'strong-m0', true],
    ]);
    expect(notes.some((n) => /repeats auto: stopped after 2 repeats .* because every adjacent pair of models is separated/.test(n))).toBe(true);
    expect(summary.markdown).toContain('Repeats auto: stopped after 2 repeats');
  });

  it('reaches the maximum when the models are equal, repeating only the uncertain items, so it spends fewer calls than fixed repeats', async () => {
    noiseSd = 10;
    const { results, requests } = await run('equal', [50, 50], { max: 5 });
    const auto = results.judges[0]?.autoRepeats;
    expect(auto?.stopped).toBe('max-repeats');
    expect(auto?.repeats).toBe(5);
    expect(auto?.itemsPerRepeat.slice(0, 2)).toEqual([24, 24]);
    for (const items of auto?.itemsPerRepeat.slice(2) ?? []) expect(items).toBeLessThan(24);
    // Fixed max repeats: 5 x 24 items x 2 models calls.
    expect(requests).toBe(2 * (auto?.judgments ?? 0));
    expect(requests).toBeLessThan(5 * 24 * 2);
    expect(results.judges[0]?.repeats).toBe(5);
    expect(results.judges[0]?.stability?.comparisons).toBeGreaterThan(0);
    // The annotated file lists the repeats each item got: none is "not judged".
    const annotated = JSON.parse(await readFile(join(root, 'equal', 'equal-m0-ift-test-results-annotated.json'), 'utf8')) as Array<{ llm_scores: Array<number | null>; judge: { failure: string | null } }>;
    expect(annotated.every((record) => record.judge.failure === null && record.llm_scores.length >= 2 && record.llm_scores.every((score) => score !== null))).toBe(true);
    expect(annotated.reduce((sum, record) => sum + record.llm_scores.length, 0)).toBe(auto?.judgments);
  });

  it('replays its decisions on a rerun with no calls: from the log into the same directory, and from the cache into a new one', async () => {
    noiseSd = 10;
    const first = await run('replay', [50, 52], { max: 4 });
    const again = await run('replay', [50, 52], { max: 4 });
    expect(again.requests).toBe(0);
    expect(again.results.judges[0]?.autoRepeats).toEqual(first.results.judges[0]?.autoRepeats);
    expect(again.results.models.map((m) => m.score)).toEqual(first.results.models.map((m) => m.score));
    const fresh = await run('replay', [50, 52], { max: 4 }, 'replay-fresh');
    expect(fresh.requests).toBe(0);
    expect(fresh.results.judges[0]?.autoRepeats?.itemsPerRepeat).toEqual(first.results.judges[0]?.autoRepeats?.itemsPerRepeat);
  });

  it('stops after 2 repeats when no item disagrees with itself (a deterministic judge), and when the CIs meet the target', async () => {
    noiseSd = 0;
    const steady = await run('steady', [50, 50], { max: 5 });
    expect(steady.results.judges[0]?.autoRepeats?.stopped).toBe('no-uncertain-items');
    expect(steady.requests).toBe(2 * 24 * 2);
    noiseSd = 6;
    const wide = await run('target', [50, 51], { max: 5, targetCiWidth: 50 });
    expect(wide.results.judges[0]?.autoRepeats?.stopped).toBe('ci-width');
    expect(wide.results.judges[0]?.autoRepeats?.repeats).toBe(2);
  });
});

describe('flip rate of a fixed-repeats run', () => {
  it('puts the hand-counted flip rate in results.json and results.md: 6 of 48 scores change by 5 points between 2 repeats', async () => {
    noiseSd = 0;
    const { results, summary } = await run('fixed', [40, 60], undefined, 'fixed', 2, 6);
    const stability = results.judges[0]?.stability;
    expect(stability).toMatchObject({ repeats: 2, items: 24, comparisons: 48, rankComparisons: 24, rankChangeRate: 0 });
    expect(stability?.flipRate).toBeCloseTo(6 / 48, 12);
    expect(stability?.meanAbsChange).toBeCloseTo(30 / 48, 12);
    expect(stability?.flipRateCi95[0]).toBeLessThan(6 / 48);
    expect(stability?.flipRateCi95[1]).toBeGreaterThan(6 / 48);
    expect(summary.markdown).toContain('Stability between repeats (2 repeats, 24 items): flip rate 12.5% [');
  });

  it('leaves the flip rate out with a single repeat', async () => {
    noiseSd = 0;
    const { results, summary } = await run('single-repeat', [40, 60], undefined, 'single-repeat', 1, 6);
    expect(results.judges[0]?.stability).toBeUndefined();
    expect(summary.markdown).not.toContain('Stability between repeats');
  });
});

// The pairwise judge through JudgeRunner against the fake server: the calls it plans and makes, lenient and strict
// reply reading, win shares, a transport failure that makes a rerun redo the item, and `pairsPerItem`.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskCache, JudgeCallRunner, JudgeRunner, loadAnswerFiles, pairwisePromptAnswers, planJudgeRun, type ModelAnswers, type RunResults } from '@judgekit/core';
import { OpenAiProvider } from './providers/openai-provider.js';
import { PairwiseJudge, pairwiseJudgeFactory, winShares } from './pairwise-judge.js';
import { startFakeLlmServer, type FakeLlmServer } from './testing/index.js';

let server: FakeLlmServer;
let root: string;
let answers: ModelAnswers[];
let failTask1 = false;
/** While set: a Task 2 prompt seen before gets the opposite verdict (planted verdict flips between repeats). */
let flipTask2: Map<string, number> | undefined;

const worth = (answer: string): number => Number(/worth (\d+)/.exec(answer)?.[1] ?? -1);

/** The better answer wins, as MT-Bench writes it ("[[A]]") on item 0 and as the JSON the prompt asks for otherwise. */
function script(request: { prompt: string }): string | { status: number } {
  if (failTask1 && request.prompt.includes('Task 1') && request.prompt.includes('worth 20')) return { status: 500 };
  const [a, b] = pairwisePromptAnswers(request.prompt).map(worth) as [number, number];
  let winner = a > b ? 'A' : b > a ? 'B' : 'tie';
  if (flipTask2 && request.prompt.includes('Task 2')) {
    const seen = flipTask2.get(request.prompt) ?? 0;
    flipTask2.set(request.prompt, seen + 1);
    if (seen > 0) winner = winner === 'A' ? 'B' : winner === 'B' ? 'A' : winner;
  }
  return request.prompt.includes('Task 0') ? `I compared both. [[${winner === 'tie' ? 'C' : winner}]]` : JSON.stringify({ winner, comments: 'ok' });
}

beforeAll(async () => {
  server = await startFakeLlmServer(script);
  root = await mkdtemp(join(tmpdir(), 'judgekit-pairwise-judge-'));
  const files = await Promise.all(
    (
      [
        ['alpha', [10, 20, 30]],
        ['beta', [40, 50, 60]],
        ['gamma', [70, 5, 65]],
      ] as const
    ).map(async ([name, scores]) => {
      const file = join(root, `${name}-ift-test-results.json`);
      await writeFile(file, JSON.stringify(scores.map((score, index) => ({ instruction: `Task ${index}`, input: '', output: `out ${index}`, model_response: `answer worth ${score}` }))));
      return file;
    }),
  );
  answers = await loadAnswerFiles(files);
});
afterAll(async () => {
  await server.close();
});

const provider = (): OpenAiProvider => new OpenAiProvider({ env: { OPENAI_API_KEY: 'sk-test' }, baseURL: server.openaiBaseURL });

function setup(outDir: string, options: { strictReplies?: boolean; pairsPerItem?: number } = {}, cache = 'cache') {
  const chat = provider();
  const calls = new JudgeCallRunner({ cache: new DiskCache(join(root, cache)), backoff: { baseMs: 1 }, transportRetries: 0 });
  const judge = new PairwiseJudge({ provider: chat, calls, model: 'fake-judge', retries: 0, ...options });
  return { answers, judge, calls, provider: chat, outDir };
}

describe('PairwiseJudge', () => {
  it('plans and makes one call per ordered pair and item: 3 items x 3 x 2', async () => {
    const options = setup(join(root, 'plan'));
    const plan = await planJudgeRun(options);
    expect(plan.calls).toBe(18);
    const before = server.requests.length;
    const summary = await new JudgeRunner().run(options);
    expect(server.requests.length - before).toBe(18);
    // Win shares per item: (0, 50, 100), (50, 100, 0), (0, 50, 100); the model score is their mean.
    const scores = summary.results.models.map((m) => [m.name, m.score]);
    expect(scores.map(([name]) => name)).toEqual(['alpha', 'beta', 'gamma']);
    expect(scores.map(([, score]) => score as number)).toEqual([50 / 3, 200 / 3, 200 / 3].map((v) => expect.closeTo(v, 10)));
    expect(summary.results.pairwise?.pairwise?.comparisons).toBe(18);
  });

  it('puts the verdict flips between repeats in results.json and results.md: 6 of 18 ordered-pair verdicts when every Task 2 verdict reverses', async () => {
    const outDir = join(root, 'verdict-flips');
    flipTask2 = new Map();
    let summary;
    try {
      summary = await new JudgeRunner().run({ ...setup(outDir, {}, 'cache-verdict-flips'), repeats: 2 });
    } finally {
      flipTask2 = undefined;
    }
    // 3 items x 6 ordered pairs, one pair of repeats; item 2's six verdicts all reverse on the second repeat.
    const flips = summary.results.judges[0]?.verdictFlips;
    expect(flips).toMatchObject({ repeats: 2, items: 3, comparisons: 18, flipRate: expect.closeTo(1 / 3, 12) });
    const [lo, hi] = flips!.flipRateCi95;
    expect(lo).toBeLessThanOrEqual(1 / 3);
    expect(hi).toBeGreaterThanOrEqual(1 / 3);
    const written = JSON.parse(await readFile(join(outDir, 'results.json'), 'utf8')) as RunResults;
    expect(written.judges[0]?.verdictFlips?.flipRate).toBeCloseTo(1 / 3, 12);
    expect(await readFile(join(outDir, 'results.md'), 'utf8')).toContain('Pairwise verdict flips between repeats (2 repeats, 3 items): 33.3% [');
    // A run without repeats has no verdict flips to report.
    const once = await new JudgeRunner().run(setup(join(root, 'verdict-flips-once'), {}, 'cache-verdict-flips'));
    expect(once.results.judges[0]?.verdictFlips).toBeUndefined();
  });

  it('reads "[[A]]" leniently (marked lenient), and with strictReplies counts it as a failed verdict', async () => {
    const lenient = await new JudgeRunner().run(setup(join(root, 'lenient')));
    expect(lenient.results.judges[0]?.lenientScores).toBe(3);
    expect(lenient.results.pairwise?.pairwise?.failed).toBe(0);
    const strict = await new JudgeRunner().run(setup(join(root, 'strict'), { strictReplies: true }));
    // Item 0's six verdicts fail; every model then has no score for item 0.
    expect(strict.results.pairwise?.pairwise?.failed).toBe(6);
    expect(strict.results.models.map((m) => m.failed)).toEqual([1, 1, 1]);
  });

  it('leaves every score of an item null when one of its calls failed on a transport error, so a rerun redoes that item', async () => {
    const outDir = join(root, 'transport');
    failTask1 = true;
    const first = await new JudgeRunner().run(setup(outDir, {}, 'cache-transport'));
    failTask1 = false;
    expect(first.results.models.map((m) => m.failed)).toEqual([1, 1, 1]);
    const notices: string[] = [];
    const before = server.requests.length;
    const second = await new JudgeRunner().run({ ...setup(outDir, {}, 'cache-transport'), notify: (message) => notices.push(message) });
    expect(notices.join('\n')).toContain('1 judgment is redone because it failed on a transport error');
    // Only the failed calls go out again (alpha's answer worth 20 is in 4 of item 1's 6 prompts); the rest come from the cache.
    expect(server.requests.length - before).toBe(4);
    expect(second.results.models.map((m) => m.failed)).toEqual([0, 0, 0]);
  });

  it('shows one pair in both orders per item with pairsPerItem 1, and records the setting in its description', async () => {
    const options = setup(join(root, 'one-pair'), { pairsPerItem: 1 });
    expect((await planJudgeRun(options)).calls).toBe(6);
    expect(options.judge.description).toMatchObject({ mode: 'pairwise', pairsPerItem: 1 });
    const summary = await new JudgeRunner().run(options);
    // Each item leaves one model out: it has no score there, said as such.
    expect(summary.results.models.reduce((sum, m) => sum + m.failed, 0)).toBe(3);
  });
});

describe('winShares', () => {
  it('scores 100 x (wins + ties / 2) / usable comparisons, and says why a model in no usable comparison has no score', () => {
    const shares = winShares(['x', 'y', 'z'], [
      { a: 'x', b: 'y', winner: 'A' },
      { a: 'y', b: 'x', winner: 'tie' },
      { a: 'x', b: 'z', winner: null, failure: 'invalid reply: winner must be "A", "B" or "tie", got "C"' },
    ]);
    expect(shares).toEqual([
      { model: 'x', score: 75 },
      { model: 'y', score: 25 },
      { model: 'z', score: null, failure: 'invalid reply: winner must be "A", "B" or "tie", got "C"' },
    ]);
    expect(winShares(['x'], [])).toEqual([{ model: 'x', score: null, failure: 'not compared on this item (pairsPerItem)' }]);
  });

  it('has an options schema with pairsPerItem of at least 1', () => {
    expect(pairwiseJudgeFactory.optionsSchema).toMatchObject({ properties: { pairsPerItem: { type: 'integer', minimum: 1 } } });
  });
});

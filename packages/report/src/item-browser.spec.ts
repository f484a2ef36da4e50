import { describe, expect, it } from 'vitest';
import { analyzeRun, formatAlpacaPrompt, formatBatchedJudgePrompt, type JudgmentRecord, type RunItems } from '@judgekit/core';
import { itemBrowserData } from './item-browser.js';
import type { LoadedRun } from './load-run-directory.js';

const KEY = 'sk-proj-abcdefghijklmnopqrstuvwx';

describe('itemBrowserData', () => {
  const items: RunItems = {
    items: [{ index: 0, instruction: 'Name a colour.', input: '', output: 'Red.', prompt: formatAlpacaPrompt({ instruction: 'Name a colour.', input: '' }) }],
    models: [
      { name: 'a', responses: ['Blue.'] },
      { name: 'b', responses: ['Green.'] },
      { name: 'c', responses: ['Seven.'] },
    ],
  };
  const base = { judge: 'batched', mode: 'batched' as const, provider: 'openai', model: 'm', index: 0, calls: 1, cachedCalls: 0, tokenUsage: { prompt: 0, completion: 0 }, attempts: 1 };
  const judgments: JudgmentRecord[] = [
    // Repeat 0 showed c, a, b; c's score came from a reply read only leniently.
    { ...base, repeat: 0, scores: [{ model: 'a', score: 70, position: 2, comments: `fine ${KEY}` }, { model: 'b', score: 60, position: 3 }, { model: 'c', score: 10, position: 1, lenient: true }] },
    // Repeat 1: the call timed out, so every slot failed.
    { ...base, repeat: 1, scores: ['a', 'b', 'c'].map((model, k) => ({ model, score: null, position: k + 1, failure: 'timeout: no reply in 120000 ms' })) },
    // Repeat 2's reply could not be read.
    { ...base, repeat: 2, scores: ['a', 'b', 'c'].map((model, k) => ({ model, score: null, position: k + 1, failure: 'reply is not JSON and holds no JSON object: "..."' })) },
  ];
  const run: LoadedRun = { dir: '/run', items, judgments, problems: [] };
  const data = itemBrowserData(run, analyzeRun(run, { bootstrap: { resamples: 20 } }));
  const item = data.items[0]!;

  it("keeps one batched slot order per call, from the positions the record gives, and each answer's fence length", () => {
    // Models a, b, c are 0, 1, 2; repeat 0 showed c, a, b; repeats 1 and 2 a, b, c (one shared order).
    expect(item.orders).toEqual([[2, 0, 1], [0, 1, 2]]);
    expect(item.judgments[0]!.map((perModel) => perModel.map((j) => j.order))).toEqual([[0, 1, 1], [0, 1, 1], [0, 1, 1]]);
    expect(item.fences).toEqual([3, 3, 3]);
    // The head is the prompt without any answer; the page appends "# Model k" and each fenced answer.
    const head = item.batchedHead as string;
    const pieces = [2, 0, 1].map((m, k) => `\n\n# Model ${k + 1}\n\n\`\`\`\n${items.models[m]!.responses[0]}\n\`\`\``).join('');
    expect(`${head}${pieces}\n`).toBe(formatBatchedJudgePrompt({ prompt: items.items[0]!.prompt, output: 'Red.', responses: ['Seven.', 'Blue.', 'Green.'] }));
  });

  it('tells failed calls from unreadable replies, marks lenient reads and removes keys from comments', () => {
    const a = item.judgments[0]![0]!;
    expect(a.map((j) => j.failed)).toEqual([undefined, 'call', 'parse']);
    expect(item.judgments[0]![2]![0]).toMatchObject({ score: 10, lenient: true, position: 1 });
    expect(a[0]!.comments).toBe('fine REDACTED');
    expect(JSON.stringify(data)).not.toContain(KEY);
  });

  it('embeds each raw reply once per item, scrubbed: a batched reply shared by its models, pairwise replies labelled per comparison, none for runs logged without them', () => {
    const withReplies: JudgmentRecord[] = [
      { ...base, repeat: 0, reply: `{"Model 1": {"score": 10}} ${KEY}`, scores: [{ model: 'a', score: 70, position: 2 }, { model: 'b', score: 60, position: 3 }, { model: 'c', score: 10, position: 1 }] },
      {
        ...base,
        judge: 'pairwise',
        mode: 'pairwise',
        repeat: 0,
        scores: [{ model: 'a', score: 100 }, { model: 'b', score: 0 }, { model: 'c', score: null, failure: 'not compared on this item (pairsPerItem)' }],
        comparisons: [
          { a: 'a', b: 'b', winner: 'A', reply: '{"winner": "A"}' },
          { a: 'b', b: 'a', winner: 'B', reply: '[[B]]' },
        ],
      },
    ];
    const replyRun: LoadedRun = { dir: '/run', items, judgments: withReplies, problems: [] };
    const replyData = itemBrowserData(replyRun, analyzeRun(replyRun, { bootstrap: { resamples: 20 } }));
    const it0 = replyData.items[0]!;
    const [batched, pairwise] = [replyData.judges.findIndex((j) => j.name === 'batched'), replyData.judges.findIndex((j) => j.name === 'pairwise')];
    expect(it0.replies).toEqual(['{"Model 1": {"score": 10}} REDACTED', '{"winner": "A"}', '[[B]]']);
    // Every model of the batched call points at its one reply.
    expect(it0.judgments[batched]!.map((perModel) => perModel.map((j) => j.replies))).toEqual([[[0]], [[0]], [[0]]]);
    // Each pairwise model points at the comparisons it was in; c was in none.
    expect(it0.judgments[pairwise]!.map((perModel) => perModel.map((j) => j.replies))).toEqual([[[1, 2]], [[1, 2]], [undefined]]);
    expect(it0.replyLabels).toEqual({ 1: 'a as Model A, b as Model B: A (a)', 2: 'b as Model A, a as Model B: B (a)' });
    expect(JSON.stringify(replyData)).not.toContain(KEY);
    // The run logged before replies were recorded: no reply data, so the page keeps its "not stored" note.
    expect(item.replies).toBeUndefined();
    expect(item.judgments.flat(2).every((j) => j.replies === undefined)).toBe(true);
  });
});

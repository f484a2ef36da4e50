// Stability and score distributions recovered from the judge simulator (through the real `openai` SDK): a planted
// flip probability comes back as the flip rate within its CI, a planted logprob alternative as the expected score,
// and report.md and the report's stability section show both.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeRun, decodeLog, formatSingleJudgePrompt, parseScoreReply, scoreDistribution, type JudgmentRecord, type RunItems, type TokenLogprob } from '@judgekit/core';
import { plantedRun, startJudgeSimulator, writeSimulatedRun, type JudgeSimulatorOptions } from '../testing/index.js';
import { renderMarkdownReport } from '../render-markdown.js';
import { stabilityHtmlSection } from './stability-section.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'judgekit-stability-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const MODELS = [
  { name: 'alpha', quality: 70 },
  { name: 'beta', quality: 55 },
  { name: 'gamma', quality: 40 },
];

async function simulatedRun(name: string, options: Omit<JudgeSimulatorOptions, 'quality'>, items = 60, repeats = 2) {
  const planted = plantedRun(MODELS, items, name);
  const sim = await startJudgeSimulator({ ...options, quality: planted.quality });
  try {
    const client = new OpenAI({ apiKey: 'sk-simulator', baseURL: sim.baseURL, maxRetries: 0 });
    const runDir = join(dir, name);
    await writeSimulatedRun({
      dir: runDir,
      items: planted.items,
      judges: [{ name: 'single', mode: 'single', repeats }],
      seed: name,
      complete: async (prompt) => {
        const c = await client.chat.completions.create({ model: 'judge-simulator', messages: [{ role: 'user', content: prompt }] });
        return { text: c.choices[0]?.message.content ?? '', usage: { prompt: 0, completion: 0 } };
      },
    });
    const judgments = [...decodeLog<JudgmentRecord>(await readFile(join(runDir, 'judgments.jsonl'), 'utf8')).entries.values()];
    const runItems = JSON.parse(await readFile(join(runDir, 'items.json'), 'utf8')) as RunItems;
    return analyzeRun({ items: runItems, judgments }, { bootstrap: { resamples: 1000 } });
  } finally {
    await sim.close();
  }
}

describe('stability from the judge simulator', () => {
  it('recovers a planted flip probability of 0.2 within the flip rate CI, each flip moving the score by the planted 10 points', async () => {
    const analysis = await simulatedRun('flip-20', { flipProbability: 0.2, flipSize: 10, seed: 3 });
    const flip = analysis.judges[0]?.stability?.scores;
    expect(flip?.comparisons).toBe(60 * 3);
    expect(flip?.flipRateCi95[0]).toBeLessThan(0.2);
    expect(flip?.flipRateCi95[1]).toBeGreaterThan(0.2);
    expect(flip?.flipRateCi95[1]! - flip?.flipRateCi95[0]!).toBeLessThan(0.2);
    expect(flip?.meanAbsChange).toBeCloseTo(10 * flip!.flipRate, 9);
  });

  it('measures a flip rate of exactly 0 when nothing is planted and the judge has no noise', async () => {
    const analysis = await simulatedRun('flip-0', { flipProbability: 0, seed: 3 }, 20);
    expect(analysis.judges[0]?.stability?.scores?.flipRate).toBe(0);
    expect(analysis.judges[0]?.stability?.scores?.rankChangeRate).toBe(0);
  });

  it('shows the flip rate in report.md and as a bar chart in the report, and says nothing with a single repeat', async () => {
    const analysis = await simulatedRun('flip-report', { flipProbability: 0.3, seed: 4 }, 20);
    const rate = analysis.judges[0]?.stability?.scores?.flipRate as number;
    const markdown = renderMarkdownReport(analysis);
    expect(markdown).toContain('## Stability between repeats');
    expect(markdown).toContain(`| single | 2 | ${(100 * rate).toFixed(1)}% [`);
    const html = stabilityHtmlSection(analysis);
    expect(html).toContain('<section id="stability">');
    expect(html).toMatch(/<svg[^>]*aria-label="Flip rate per judge/);
    expect(html).toMatch(/<rect class="bar"/);
    const once = await simulatedRun('flip-once', { flipProbability: 0.3, seed: 4 }, 10, 1);
    expect(stabilityHtmlSection(once)).toBe('');
    expect(renderMarkdownReport(once)).not.toContain('Stability between repeats');
  });

  it('recovers the planted expected score (sampled + 0.3 x 10) from logprob replies and shows it beside the sampled score', async () => {
    const planted = plantedRun(MODELS, 20, 'logprobs');
    const sim = await startJudgeSimulator({ quality: planted.quality, answerNoiseSd: 4, logprobAlternative: { offset: 10, probability: 0.3 }, seed: 2 });
    const judgments: JudgmentRecord[] = [];
    try {
      const client = new OpenAI({ apiKey: 'sk-simulator', baseURL: sim.baseURL, maxRetries: 0 });
      for (const [i, item] of planted.items.items.entries()) {
        const record: JudgmentRecord = { judge: 'single', mode: 'single', provider: 'openai', model: 'judge-simulator', index: item.index, repeat: 0, scores: [], calls: 0, cachedCalls: 0, tokenUsage: { prompt: 0, completion: 0 }, attempts: 0 };
        for (const model of planted.items.models) {
          const prompt = formatSingleJudgePrompt({ prompt: item.prompt, output: item.output, response: model.responses[i] ?? '' });
          const c = await client.chat.completions.create({ model: 'judge-simulator', messages: [{ role: 'user', content: prompt }], logprobs: true, top_logprobs: 20 });
          const text = c.choices[0]?.message.content ?? '';
          const tokens: TokenLogprob[] = (c.choices[0]?.logprobs?.content ?? []).map((t) => ({ token: t.token, logprob: t.logprob, top: t.top_logprobs.map((a) => ({ token: a.token, logprob: a.logprob })) }));
          const parsed = parseScoreReply(text);
          if (!('score' in parsed)) throw new Error(`unparsed ${text}`);
          record.scores.push({ model: model.name, score: parsed.score, distribution: scoreDistribution(text, parsed.score, tokens) });
        }
        judgments.push(record);
      }
    } finally {
      await sim.close();
    }
    const analysis = analyzeRun({ items: planted.items, judgments }, { bootstrap: { resamples: 500 } });
    const rows = analysis.judges[0]?.stability?.expected ?? [];
    expect(rows.map((r) => r.model)).toEqual(['alpha', 'beta', 'gamma']);
    for (const row of rows) {
      // No planted score is near 100 here, so every alternative is 10 points up.
      expect(row.expected).toBeCloseTo(row.sampled + 3, 9);
      expect(row.judgments).toBe(20);
      expect(row.ci95[0]).toBeLessThan(row.expected);
    }
    expect(renderMarkdownReport(analysis)).toContain('Expected score from log-probabilities (single)');
    expect(stabilityHtmlSection(analysis)).toContain('Expected score from log-probabilities: single');
  });
});

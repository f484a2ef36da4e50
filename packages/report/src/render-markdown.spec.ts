import { describe, expect, it } from 'vitest';
import { analyzeRun, type JudgmentRecord, type RunItems } from '@judgekit/core';
import { markdownCell, renderMarkdownReport } from './render-markdown.js';

describe('renderMarkdownReport', () => {
  it.each([
    ['a|b', 'a\\|b'],
    ['two\nlines', 'two lines'],
    ['back\\slash', 'back\\\\slash'],
  ])('markdownCell(%j)', (text, expected) => {
    expect(markdownCell(text)).toBe(expected);
  });

  it('prints the study table sorted by loss, each loss with its protocol and token mean, reliability and comparisons', () => {
    const items: RunItems = {
      items: [0, 1, 2].map((index) => ({ index, instruction: `Who is ${index}?`, input: '', output: 'x', prompt: 'p' })),
      models: [
        { name: 'big', responses: ['a b c', 'a b', 'a'] },
        { name: 'tiny', responses: ['a', 'a', 'a b c d'] },
      ],
    };
    const judgments: JudgmentRecord[] = [];
    for (const [judge, mode] of [['single', 'single'], ['batched', 'batched']] as const) {
      for (const repeat of [0, 1]) {
        for (const index of [0, 1, 2]) {
          judgments.push({
            judge, mode, provider: 'p', model: 'm', index, repeat,
            scores: [{ model: 'big', score: 70 + index + repeat, position: mode === 'batched' ? 1 + ((index + repeat) % 2) : undefined }, { model: 'tiny', score: 40 + index * 2, position: mode === 'batched' ? 2 - ((index + repeat) % 2) : undefined }].map((s) => (s.position === undefined ? { model: s.model, score: s.score } : s)),
            calls: mode === 'single' ? 2 : 1, cachedCalls: 0, tokenUsage: { prompt: 10, completion: 1 }, attempts: 1,
          });
        }
      }
    }
    const protocol = { kind: 'non-overlapping', contextLength: 1024, stride: 1024, batchSize: 6, aggregate: 'mean-of-batch-means' };
    const losses = {
      models: [
        { name: 'tiny', loss: 4.1, meanOfBatchMeans: 4.1, tokenMean: 4.05, tokens: 12_288, batches: 2, windows: 12, protocol },
        { name: 'big', loss: 3.2, meanOfBatchMeans: 3.2, tokenMean: 3.15, tokens: 12_288, batches: 2, windows: 12, protocol },
      ],
    };
    const analysis = analyzeRun({ items, judgments, losses }, { bootstrap: { resamples: 100 } });
    const md = renderMarkdownReport(analysis, 'T');
    const lines = md.split('\n');
    const header = lines.findIndex((l) => l.startsWith('| model | test loss |'));
    expect(lines[header]).toBe('| model | test loss | single (single) | batched (batched) |');
    expect(lines[header + 2]).toMatch(/^\| big \| 3\.200 \(mean of 2 batch means, 6 x 1024 windows; token mean 3\.150, 12,288 tokens\) \| 71\.50 \[/);
    expect(lines[header + 3]).toMatch(/^\| tiny \| 4\.100 \(mean of 2 batch means, 6 x 1024 windows; token mean 4\.050, 12,288 tokens\) \| 42\.00 \[/);
    expect(md).toContain('**single vs batched**: Kendall tau-b 1.000');
    expect(md).toContain('Only 2 model(s)');
    expect(md).toMatch(/\*\*batched\*\*: #1 /);
  });
});

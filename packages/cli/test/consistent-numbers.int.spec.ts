// Issue 12 point 11: one model, one number. `judgekit run` on two tiny checkpoints with answer files: every file
// that shows a model's score CI (results.md, the judge's own results.md, results.json, report.html, report.md)
// shows the same interval, and every place that shows a loss shows the same loss with its protocol and token mean.
import 'reflect-metadata';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCi95, type RunLosses, type RunResults } from '@judgekit/core';
import { createTinyGpt2 } from '@judgekit/backends/testing';
import { runMain } from './support/run-main.js';

const MODELS = ['tiny-a', 'tiny-b'];
let root: string;
let stdout: string;

/** Cells of the Markdown table row whose first cell is `name`. */
function markdownRow(markdown: string, name: string): string[] {
  const line = markdown.split('\n').find((l) => l.startsWith(`| ${name} |`));
  if (!line) throw new Error(`no row for ${name} in:\n${markdown}`);
  return line.slice(2, -2).split(' | ');
}

/** Cells (text, tags stripped) of the row of report.html's scores table whose first cell is `name`. */
function htmlScoresRow(html: string, name: string): string[] {
  const section = /<section id="scores">([\s\S]*?)<\/section>/.exec(html)?.[1] ?? '';
  const row = [...section.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => [...m[1]!.matchAll(/<td>([\s\S]*?)<\/td>/g)].map((c) => c[1]!.replace(/<[^>]+>/g, '').trim())).find((cells) => cells[0] === name);
  if (!row) throw new Error(`no scores row for ${name} in report.html`);
  return row;
}

/** The "[lo, hi]" interval in a cell. */
const interval = (cell: string | undefined): string => /\[-?\d+\.\d+, -?\d+\.\d+\]/.exec(cell ?? '')?.[0] ?? `no CI in "${cell}"`;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'judgekit-consistent-'));
  for (const [i, name] of MODELS.entries()) {
    await createTinyGpt2({ dir: root, name, seed: i + 1, vocabSize: 50257, contextLength: 16, embDim: 8, nLayers: 1, nHeads: 2, naming: 'book' });
    // Answers that share more or fewer words with the reference, so the reference judge's scores vary by item.
    const records = Array.from({ length: 8 }, (_, item) => ({
      instruction: `Task ${item}`,
      input: '',
      output: `the answer to task ${item} is blue and round`,
      model_response: ['the answer', 'blue', `the answer to task ${item} is blue`, 'no idea', 'round and blue answer'][(item + i * 2) % 5],
    }));
    await writeFile(join(root, `${name}-ift-test-results.json`), JSON.stringify(records));
  }
  // About 240 GPT-2 tokens: 16-token windows (the model's context), 6 per batch, so a few batches, the last window partial.
  await writeFile(join(root, 'held-out.txt'), Array.from({ length: 20 }, (_, i) => `Document ${i} talks about colours, numbers and the weather.`).join('<|endoftext|>'));
  await writeFile(
    join(root, 'study.json'),
    JSON.stringify({
      runDir: 'out',
      models: MODELS.map((name) => ({ name, checkpoint: `${name}.safetensors`, answers: `${name}-ift-test-results.json` })),
      // No window or batch settings: the study's defaults apply.
      loss: { data: 'held-out.txt' },
      judges: [{ name: 'reference', mode: 'reference' }],
    }),
  );
  const run = await runMain(['run', 'study.json'], { cwd: root, env: { JUDGEKIT_CACHE_DIR: join(root, 'cache') } });
  if (run.code !== 0) throw new Error(`judgekit run failed (${run.code}):\n${run.stderr}`);
  stdout = run.stdout;
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('a study run prints each number once', () => {
  it("shows each model's 95% CI identically in results.json, results.md, the judge's results.md, report.html and report.md", async () => {
    const out = join(root, 'out');
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as RunResults;
    const studyTable = await readFile(join(out, 'results.md'), 'utf8');
    const judgeTable = await readFile(join(out, 'judges', 'reference', 'results.md'), 'utf8');
    const html = await readFile(join(out, 'report.html'), 'utf8');
    const reportMd = await readFile(join(out, 'report.md'), 'utf8');
    const shown = new Set<string>();
    for (const name of MODELS) {
      const stored = results.models.find((m) => m.name === name)?.judges?.reference?.ci95;
      expect(stored?.every(Number.isFinite)).toBe(true);
      const expected = formatCi95(stored);
      shown.add(expected);
      // results.md: | model | test loss | reference score | reference 95% CI |
      expect(markdownRow(studyTable, name)[3]).toBe(expected);
      // The judge's own table: | model | score | 95% CI | scored | failed |
      expect(markdownRow(judgeTable, name)[2]).toBe(expected);
      // report.html: Model | Test loss | reference
      expect(interval(htmlScoresRow(html, name)[2])).toBe(expected);
      expect(interval(markdownRow(reportMd, name)[2])).toBe(expected);
    }
    // Two different models, two different intervals: the comparison is not between empty cells.
    expect(shown.size).toBe(2);
  });

  it('shows each loss with the default protocol (6 windows per batch) and its token mean, the same text everywhere', async () => {
    const out = join(root, 'out');
    const losses = JSON.parse(await readFile(join(out, 'loss.json'), 'utf8')) as RunLosses;
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as RunResults;
    const studyTable = await readFile(join(out, 'results.md'), 'utf8');
    const html = await readFile(join(out, 'report.html'), 'utf8');
    const reportMd = await readFile(join(out, 'report.md'), 'utf8');
    const stdoutTable = stdout.slice(stdout.indexOf('| model |'));
    for (const name of MODELS) {
      const measured = losses.models.find((m) => m.name === name)!;
      expect(measured.protocol).toMatchObject({ batchSize: 6, contextLength: 16, lastWindow: 'partial windows included' });
      const text = results.models.find((m) => m.name === name)?.lossDetails?.text ?? '';
      // Both numbers and the protocol, with values that are the measurement's.
      const match = /^(\d+\.\d{3}) \(mean of (\d+) batch means?, 6 x 16 windows, last window partial; token mean (\d+\.\d{3}), (\d+) tokens\)$/.exec(text);
      expect(match, text).not.toBeNull();
      expect(Number(match![1])).toBe(Number(measured.loss.toFixed(3)));
      expect(Number(match![1])).toBe(Number(measured.meanOfBatchMeans!.toFixed(3)));
      expect(Number(match![2])).toBe(measured.batches);
      expect(Number(match![3])).toBe(Number(measured.tokenMean!.toFixed(3)));
      expect(Number(match![4])).toBe(measured.tokens);
      // Several batches, the last one short: the two aggregates are different numbers, both shown.
      expect(measured.batches).toBeGreaterThan(1);
      expect(measured.meanOfBatchMeans).not.toBe(measured.tokenMean);
      expect(markdownRow(studyTable, name)[1]).toBe(text);
      expect(markdownRow(stdoutTable, name)[1]).toBe(text);
      expect(htmlScoresRow(html, name)[1]).toBe(text);
      expect(markdownRow(reportMd, name)[1]).toBe(text);
    }
  });
});

// The report end to end on a simulated run: files written, statistics present, hostile text escaped.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import 'reflect-metadata';
import { Container } from 'inversify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleContainer, Reporter } from '@judgekit/core';
import reportModule from './report-module.js';
import { writeRunReport } from './run-report.js';
import { HOSTILE_ANSWER, HOSTILE_MODEL, writeReportTestRun } from './report-test-run.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'judgekit-report-'));
  await writeReportTestRun(dir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeRunReport', () => {
  it('writes report.html and report.md with every section', async () => {
    const report = await writeRunReport(dir, { resamples: 200, generatedAt: 'test' });
    expect(report.files).toEqual([join(dir, 'report.html'), join(dir, 'report.md')]);
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    for (const id of ['scores', 'gaps', 'loss', 'reliability', 'modes', 'position', 'length', 'categories', 'heatmap', 'browser']) expect(html).toContain(`id="${id}"`);
    expect(html).not.toMatch(/<(link|img|iframe)\b[^>]*(src|href)=["']?https?:/i);
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(report.markdown).toContain('| medium | 3.200 (mean of 2 batch means, 6 x 1024 windows, last window partial; token mean 3.190, 11,000 tokens) |');
    expect(html).toContain('3.200 <span class="muted loss-protocol">(mean of 2 batch means, 6 x 1024 windows, last window partial; token mean 3.190, 11,000 tokens)</span>');
    expect(report.markdown).toMatch(/Position bias/);
    expect(report.analysis.judges.map((j) => j.judge)).toEqual(['batched', 'single']);
    expect(report.analysis.comparisons[0]).toMatchObject({ a: 'single', b: 'batched' });
  });

  it('escapes model text everywhere', async () => {
    await writeRunReport(dir, { resamples: 100 });
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    expect(html).not.toContain(HOSTILE_ANSWER);
    expect(html).not.toContain(HOSTILE_MODEL);
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<svg onload');
    expect(html).toContain('&lt;b onmouseover=&quot;window.__xss=3&quot;&gt;bold&lt;/b&gt;');
    // Exactly two script elements: the JSON data block and the browser script.
    expect(html.match(/<script\b/g)).toHaveLength(2);
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    const md = await readFile(join(dir, 'report.md'), 'utf8');
    expect(md).toContain('<b onmouseover');
    // A model name with markup stays inside its table cell: every table line still ends with a pipe.
    for (const line of md.split('\n').filter((l) => l.startsWith('|'))) expect(line.endsWith('|')).toBe(true);
  });

  it('is bound as core Reporter by the report module', async () => {
    const container = new Container();
    await container.load(reportModule);
    const reporter = container.get<Reporter>(Reporter);
    expect(reporter.id).toBe('html');
    const out = await reporter.report(dir);
    expect(out.files.map((f) => f.slice(dir.length + 1))).toEqual(['report.html', 'report.md']);
  });

  it('loads as a plugin by package name', async () => {
    const { container, loaded } = await assembleContainer({ plugins: ['@judgekit/report'] });
    expect(loaded).toEqual(['@judgekit/report']);
    expect(container.get<Reporter>(Reporter).id).toBe('html');
  });
});

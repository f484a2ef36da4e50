// The item browser and the page layout in headless Chromium: search narrows the list, sorting by judge
// disagreement orders the items by spread, an #item-<index> link opens its item, heatmap column labels stay inside
// their chart, and the page does not scroll sideways at a 420 px wide viewport.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { formatBatchedJudgePrompt, formatSingleJudgePrompt } from '@judgekit/core';
import { loadRunDirectory } from './load-run-directory.js';
import { writeReportTestRun } from './report-test-run.js';
import { writeRunReport } from './run-report.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);

/** Per item: the mean over models of (max − min) of the model's scores over every judge and repeat (NaN if none has two). */
async function expectedSpreads(dir: string): Promise<Map<number, number>> {
  const run = await loadRunDirectory(dir);
  const byCell = new Map<string, number[]>();
  for (const record of run.judgments) {
    for (const s of record.scores) {
      if (s.score === null) continue;
      const key = `${record.index}\u0000${s.model}`;
      byCell.set(key, [...(byCell.get(key) ?? []), s.score]);
    }
  }
  const spreads = new Map<number, number>();
  for (const item of run.items.items) {
    const per = run.items.models.map((m) => byCell.get(`${item.index}\u0000${m.name}`) ?? []).filter((v) => v.length >= 2).map((v) => Math.max(...v) - Math.min(...v));
    spreads.set(item.index, per.length === 0 ? Number.NaN : per.reduce((a, b) => a + b, 0) / per.length);
  }
  return spreads;
}

describe.skipIf(!hasChromium)(`the item browser and layout of report.html in headless Chromium${hasChromium ? '' : ` (skipped: ${CHROMIUM} not found)`}`, () => {
  let dir: string;
  let url: string;
  let browser: Browser;
  const errors: string[] = [];

  async function open(width: number, hash = ''): Promise<Page> {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${url}${hash}`, { waitUntil: 'load' });
    return page;
  }

  const listed = (page: Page): Promise<string[]> => page.$$eval('#item-list li', (lis) => lis.map((li) => li.getAttribute('data-index') ?? ''));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'judgekit-item-browser-'));
    await writeReportTestRun(dir);
    await writeRunReport(dir, { resamples: 100, generatedAt: 'item browser test' });
    url = pathToFileURL(join(dir, 'report.html')).href;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  });
  afterAll(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('labels each point of the loss vs score scatter with its model name', async () => {
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    const loss = html.slice(html.indexOf('<section id="loss">'), html.indexOf('</section>', html.indexOf('<section id="loss">')));
    const labels = [...loss.matchAll(/<text class="point-label"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    // One label per model (both judges' points of a model share its loss); the hostile name is escaped and shortened.
    expect(labels.slice(0, 2)).toEqual(['medium', 'small']);
    expect(labels).toHaveLength(3);
    expect(labels.every((l) => !(l ?? '').includes('<'))).toBe(true);
  });

  it('narrows the item list to the items whose instruction or answer text matches the search', async () => {
    const page = await open(1280);
    expect(await listed(page)).toHaveLength(12);
    await page.fill('#item-search', 'hamlet');
    expect(await listed(page)).toEqual(['3']);
    expect(await page.getAttribute('#item-view', 'data-index')).toBe('3');
    expect(await page.textContent('#item-count')).toBe('1 of 12 items');
    // Answer text: only item 11's answers say "on item 11:".
    await page.fill('#item-search', 'small on item 11:');
    expect(await listed(page)).toEqual(['11']);
    await page.fill('#item-search', 'no item says this');
    expect(await listed(page)).toEqual([]);
    await page.fill('#item-search', '');
    expect(await listed(page)).toHaveLength(12);
    await page.close();
    expect(errors).toEqual([]);
  });

  it('filters to the items with a failed judgment, and to one model and judge', async () => {
    const run = await loadRunDirectory(dir);
    const failed = [...new Set(run.judgments.filter((r) => r.scores.some((s) => s.score === null)).map((r) => r.index))].sort((a, b) => a - b);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length).toBeLessThan(12);
    const page = await open(1280);
    await page.selectOption('#filter-status', 'failed');
    expect(await listed(page)).toEqual(failed.map(String));
    // The simulator's failures are unreadable replies, never failed calls.
    await page.selectOption('#filter-status', 'parse-failed');
    expect(await listed(page)).toEqual(failed.map(String));
    await page.selectOption('#filter-status', 'call-failed');
    expect(await listed(page)).toEqual([]);
    await page.selectOption('#filter-status', '');
    await page.selectOption('#filter-model', '1');
    await page.selectOption('#filter-judge', '1');
    expect(await page.$$eval('#item-view .answer', (cards) => cards.map((c) => c.getAttribute('data-model')))).toEqual(['small']);
    expect(await page.$$eval('#item-view .answer .judge-line', (lines) => lines.map((l) => l.firstChild?.textContent))).toEqual(['single: ']);
    await page.close();
  });

  it('sorts by judge disagreement: items in falling order of the spread of scores across judges and repeats', async () => {
    const spreads = await expectedSpreads(dir);
    const expected = [...spreads.keys()].sort((a, b) => {
      const x = spreads.get(a) as number;
      const y = spreads.get(b) as number;
      if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) === Number.isNaN(y) ? a - b : Number.isNaN(x) ? 1 : -1;
      return y - x || a - b;
    });
    // Spreads that differ: the order is not the item order by accident.
    expect(new Set([...spreads.values()].map((v) => v.toFixed(6))).size).toBeGreaterThan(3);
    expect(expected).not.toEqual([...spreads.keys()]);
    const page = await open(1280);
    await page.selectOption('#item-sort', 'disagreement');
    expect(await listed(page)).toEqual(expected.map(String));
    // The list shows each spread, and the first item is opened.
    expect(await page.textContent('#item-list li:first-child .stat')).toContain(`spread ${(spreads.get(expected[0] as number) as number).toFixed(0)}`);
    expect(await page.getAttribute('#item-view', 'data-index')).toBe(String(expected[0]));
    await page.close();
  });

  it('opens an item from its #item-<index> link, on load and when a listed link is clicked, with its judge prompts', async () => {
    const page = await open(1280, '#item-7');
    expect(await page.getAttribute('#item-view', 'data-index')).toBe('7');
    expect(await page.locator('#item-view h3#item-7').count()).toBe(1);
    await page.click('#item-list a[href="#item-9"]');
    await page.waitForFunction(() => document.getElementById('item-view')?.getAttribute('data-index') === '9');
    expect(await page.textContent('#item-view h3')).toContain('Item #9');
    // Every judgment carries the prompt the judge answered, rebuilt from items.json, with the answer in it.
    const details = page.locator('#item-view .answer[data-model="small"] details.judgment');
    expect(await details.count()).toBe(4); // 2 judges x 2 repeats: batched r0, r1, then single r0, r1
    await details.first().locator('summary').click();
    expect(await details.first().locator('pre.judge-prompt').innerText()).toContain('small on item 9:');
    // Exactly the prompts the judges were sent: batched in the recorded slot order, single in the book wording.
    const run = await loadRunDirectory(dir);
    const item = run.items.items[9]!;
    const answerOf = (model: string): string => run.items.models.find((m) => m.name === model)!.responses[9]!;
    const batched = run.judgments.find((r) => r.judge === 'batched' && r.repeat === 0 && r.index === 9)!;
    const slots = [...batched.scores].sort((a, b) => (a.position ?? 0) - (b.position ?? 0)).map((s) => answerOf(s.model));
    const prompts = await details.evaluateAll((nodes) => nodes.map((n) => n.querySelector('pre.judge-prompt')?.textContent ?? ''));
    expect(prompts[0]).toBe(formatBatchedJudgePrompt({ prompt: item.prompt, output: item.output, responses: slots }));
    expect(prompts[2]).toBe(formatSingleJudgePrompt({ prompt: item.prompt, output: item.output, response: answerOf('small') }));
    await page.close();
    expect(errors).toEqual([]);
  });

  it("shows each judgment's raw judge reply from judgments.jsonl: the batched call's one reply and each single call's", async () => {
    const run = await loadRunDirectory(dir);
    const batched = run.judgments.find((r) => r.judge === 'batched' && r.repeat === 1 && r.index === 9)!;
    const single = run.judgments.find((r) => r.judge === 'single' && r.repeat === 0 && r.index === 9)!;
    const batchedReply = batched.reply as string;
    const singleReply = single.scores.find((s) => s.model === 'small')!.reply as string;
    // The simulator's batched reply is JSON with a comment per slot; a single reply is the bare number.
    expect(batchedReply).toContain('"Model 1"');
    expect(singleReply).toMatch(/^\d+$|^The response is decent\.$/);
    const page = await open(1280, '#item-9');
    const details = page.locator('#item-view .answer[data-model="small"] details.judgment');
    expect(await details.count()).toBe(4); // batched r0, r1, then single r0, r1
    const replies = await details.evaluateAll((nodes) => nodes.map((n) => [...n.querySelectorAll('pre.judge-reply')].map((pre) => pre.textContent)));
    expect(replies[1]).toEqual([batchedReply]);
    expect(replies[2]).toEqual([singleReply]);
    expect(await details.evaluateAll((nodes) => nodes.filter((n) => (n.textContent ?? '').includes('not stored')).length)).toBe(0);
    await page.close();
    expect(errors).toEqual([]);
  });

  it('keeps every heatmap column label inside its chart', async () => {
    const page = await open(1280);
    const boxes = await page.$$eval('#heatmap svg.chart', (svgs) =>
      svgs.map((svg) => {
        const outer = svg.getBoundingClientRect();
        return [...svg.querySelectorAll('text[transform]')].map((t) => {
          const r = t.getBoundingClientRect();
          return { text: t.textContent, left: r.left - outer.left, top: r.top - outer.top, right: outer.right - r.right, bottom: outer.bottom - r.bottom };
        });
      }),
    );
    expect(boxes).toHaveLength(2);
    for (const labels of boxes) {
      expect(labels).toHaveLength(3);
      for (const label of labels) expect({ text: label.text, inside: Math.min(label.left, label.top, label.right, label.bottom) >= -0.5 }).toEqual({ text: label.text, inside: true });
    }
    await page.close();
  });

  it('does not overflow sideways at a 420 px viewport, with an item open', async () => {
    const page = await open(420);
    const width = (): Promise<number> => page.evaluate(() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth));
    expect(await width()).toBeLessThanOrEqual(420);
    // Item 1 holds the longest texts (the hostile answer and instruction); open it and measure again.
    await page.evaluate(() => {
      location.hash = '#item-1';
    });
    await page.waitForFunction(() => document.getElementById('item-view')?.getAttribute('data-index') === '1');
    expect(await width()).toBeLessThanOrEqual(420);
    await page.close();
    expect(errors).toEqual([]);
  });
});

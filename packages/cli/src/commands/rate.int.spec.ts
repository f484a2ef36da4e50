// `judgekit rate --serve` in headless Chromium: a scripted rater scores 20 items with the keyboard only, the page
// never holds a model name, ratings.jsonl gets one line per item with rotated orders and the scores typed for
// each answer, a reload resumes where the rater stopped, and `judgekit report` then shows judge-human agreement.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonlLog, judgmentKey, parseRatings, seededRandom, type JudgmentRecord, type RatingRecord, type RunItems } from '@judgekit/core';
import { main } from '../main.js';
import { capture } from '../../test/support/run-main.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const MODELS = ['zorblax-7b', 'quuxchat-2', 'vendelmini'];
const ITEMS = 20;
const WORDS = ['alpha', 'river', 'stone', 'light', 'paper', 'garden', 'window', 'silver', 'music', 'bridge'];

/** What the scripted rater gives an answer: more words, higher score (1-10). */
function raterScore(answer: string): number {
  return Math.max(1, Math.min(10, Math.round(answer.split(/\s+/).length / 4)));
}

/** A run whose better models write longer answers; two judges score by that quality plus noise. */
async function writeRun(dir: string): Promise<RunItems> {
  const random = seededRandom('rate-test');
  const length = [34, 22, 10];
  const items: RunItems = {
    items: Array.from({ length: ITEMS }, (_, i) => ({ index: i, instruction: `Describe thing number ${i}.`, input: i % 2 === 0 ? `context ${i}` : '', output: `A reference description of thing ${i}.`, prompt: `prompt ${i}` })),
    models: MODELS.map((name, m) => ({
      name,
      responses: Array.from({ length: ITEMS }, () => Array.from({ length: (length[m] as number) + Math.floor(random() * 8) - 4 }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ')),
    })),
  };
  await writeFile(join(dir, 'items.json'), JSON.stringify(items));
  const log = new JsonlLog<JudgmentRecord>(join(dir, 'judgments.jsonl'));
  for (const [judge, mode, noise] of [['batched', 'batched', 8], ['single', 'single', 15]] as const) {
    for (let i = 0; i < ITEMS; i++) {
      const scores = MODELS.map((model, m) => ({ model, score: Math.max(0, Math.min(100, Math.round(80 - 25 * m + (random() - 0.5) * 2 * noise))), position: m + 1 }));
      await log.append(judgmentKey(judge, 0, i), { judge, mode, provider: 'openai', model: 'judge-model', index: i, repeat: 0, scores, calls: 1, cachedCalls: 0, attempts: 1, tokenUsage: { prompt: 10, completion: 5 } });
    }
  }
  return items;
}

async function readLines(dir: string): Promise<RatingRecord[]> {
  return (await readFile(join(dir, 'ratings.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as RatingRecord);
}

describe.skipIf(!hasChromium)(`judgekit rate in headless Chromium${hasChromium ? '' : ` (skipped: ${CHROMIUM} not found; apt-get install chromium)`}`, () => {
  let dir: string;
  let items: RunItems;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'judgekit-rate-'));
    items = await writeRun(dir);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('rates 20 items blind with the keyboard, saves them with rotated orders, resumes after a reload, and the report shows the agreement', async () => {
    const controller = new AbortController();
    const out = capture();
    const err = capture();
    const serving = main(['rate', dir, '--serve', '--port', '0', '--rater', 'ann', '--scale', '10'], { stdout: out.stream, stderr: err.stream, env: {}, cwd: dir, signal: controller.signal });
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      let url: string | undefined;
      for (let k = 0; k < 200 && !url; k++) {
        url = /(http:\/\/127\.0\.0\.1:\d+\/\?rater=ann)/.exec(out.text())?.[1];
        if (!url) await new Promise((r) => setTimeout(r, 25));
      }
      expect(url, `no URL printed; stderr: ${err.text()}`).toBeDefined();
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      const html = async () => (await page.content()).toLowerCase();
      const noModelNames = async () => {
        const text = await html();
        for (const name of MODELS) expect(text, `the page shows model name ${name}`).not.toContain(name);
      };
      const answerOfSlot = async (slot: number) => page.locator('#item-view .answer pre').nth(slot).innerText();
      const typed = new Map<number, number[]>();
      const rateCurrent = async (exerciseArrows: boolean) => {
        const index = Number(await page.getAttribute('#item-view', 'data-index'));
        const scores: number[] = [];
        for (let slot = 0; slot < MODELS.length; slot++) scores.push(raterScore(await answerOfSlot(slot)));
        for (const s of scores) await page.keyboard.press(s === 10 ? '0' : String(s));
        if (exerciseArrows) {
          // Back to the last answer, one step each way (away from the scale's end first): the score is unchanged.
          await page.keyboard.press('ArrowLeft');
          const [first, second] = scores[MODELS.length - 1] === 10 ? ['ArrowDown', 'ArrowUp'] : ['ArrowUp', 'ArrowDown'];
          await page.keyboard.press(first);
          await page.keyboard.press(second);
        }
        typed.set(index, scores);
        await page.keyboard.press('Enter');
        await page.waitForFunction((i) => document.getElementById('item-view')?.getAttribute('data-index') !== String(i) || /All \d+ items are rated/.test(document.getElementById('status')?.textContent ?? ''), index);
        return index;
      };

      await page.goto(url as string, { waitUntil: 'load' });
      await noModelNames();
      expect(await page.locator('#shortcuts').innerText()).toContain('Enter');
      expect(await page.getAttribute('#item-view', 'data-index')).toBe('0');
      for (let k = 0; k < 12; k++) await rateCurrent(k === 0);
      await noModelNames();

      // Reload: the server says which items ann has done, so the page opens at the first unrated one.
      await page.reload({ waitUntil: 'load' });
      expect(await page.getAttribute('#item-view', 'data-index')).toBe('12');
      expect(await page.locator('#progress').innerText()).toContain('12 rated');
      for (let k = 12; k < ITEMS; k++) await rateCurrent(false);
      expect(await page.locator('#status').innerText()).toContain('All 20 items are rated');
      await page.reload({ waitUntil: 'load' });
      expect(await page.locator('#progress').innerText()).toContain('20 rated');
      await noModelNames();
      expect(errors).toEqual([]);

      const lines = await readLines(dir);
      expect(lines).toHaveLength(ITEMS);
      expect(lines.map((l) => l.item).sort((a, b) => a - b)).toEqual(Array.from({ length: ITEMS }, (_, i) => i));
      const counts = MODELS.map(() => MODELS.map(() => 0));
      for (const line of lines) {
        expect(line).toMatchObject({ rater: 'ann', scale: '10' });
        expect([...line.order].sort()).toEqual([...MODELS].sort());
        expect(typeof line.elapsedMs).toBe('number');
        expect(Number.isNaN(Date.parse(line.time))).toBe(false);
        // Each model got the score typed for the answer it wrote: the server mapped slots to the right models.
        MODELS.forEach((model, m) => expect(line.scores[model], `item ${line.item} ${model}`).toBe(raterScore(items.models[m]!.responses[line.item]!)));
        expect(line.order.map((model) => line.scores[model])).toEqual(typed.get(line.item));
        if (line.item < 18) line.order.forEach((model, slot) => (counts[MODELS.indexOf(model)]![slot]! += 1));
      }
      // Six whole blocks of three items: each model in each slot exactly six times.
      expect(counts).toEqual(MODELS.map(() => MODELS.map(() => 6)));

      // Re-rating item 0 appends a line; the latest one counts.
      await page.keyboard.press(']');
      await page.waitForFunction(() => document.getElementById('item-view')?.getAttribute('data-index') === '1');
      await page.keyboard.press('[');
      await page.waitForFunction(() => document.getElementById('item-view')?.getAttribute('data-index') === '0');
      for (let slot = 0; slot < MODELS.length; slot++) await page.keyboard.press('1');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => /Saved/.test(document.getElementById('status')?.textContent ?? ''));
      expect(await readLines(dir)).toHaveLength(ITEMS + 1);
      const latest = parseRatings(await readFile(join(dir, 'ratings.jsonl'), 'utf8')).ratings;
      expect(latest).toHaveLength(ITEMS);
      expect(Object.values(latest.find((r) => r.item === 0)!.scores)).toEqual([1, 1, 1]);
    } finally {
      controller.abort();
      await browser.close();
    }
    expect(await serving).toBe(0);

    const reportOut = capture();
    const reportErr = capture();
    const code = await main(['report', dir, '--resamples', '200', '--no-categories'], { stdout: reportOut.stream, stderr: reportErr.stream, env: {}, cwd: dir });
    expect(reportErr.text()).toBe('');
    expect(code).toBe(0);
    expect(reportOut.text()).toContain('## Judge-human agreement (95% bootstrap CI over items)');
    expect(reportOut.text()).toContain('20 ratings of 20 items by 1 rater(s), scale 10');
    const report = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    try {
      const page = await report.newPage();
      await page.goto(pathToFileURL(join(dir, 'report.html')).href, { waitUntil: 'load' });
      const rows = await page.$$eval('#human-agreement tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? '')));
      expect(rows.map((r) => r[0])).toEqual(['batched (batched)', 'single (single)']);
      for (const row of rows) {
        // The rater scored by length and the better models write longer answers: judges and rater agree.
        const tau = Number.parseFloat(row[2] ?? '');
        expect(tau).toBeGreaterThan(0.5);
        expect(row[5]).toBe('20');
      }
    } finally {
      await report.close();
    }
  }, 120_000);

  it('writes a page file that keeps ratings in localStorage across a reload, exports them as JSONL, and --import files them under the right models', async () => {
    const runDir = await mkdtemp(join(tmpdir(), 'judgekit-rate-file-'));
    try {
      const fileItems = await writeRun(runDir);
      const written = capture();
      expect(await main(['rate', runDir, '--out', 'page.html', '--rater', 'bea', '--scale', 'rank'], { stdout: written.stream, stderr: capture().stream, env: {}, cwd: runDir })).toBe(0);
      const pageHtml = (await readFile(join(runDir, 'page.html'), 'utf8')).toLowerCase();
      for (const name of MODELS) expect(pageHtml).not.toContain(name);
      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
      try {
        const context = await browser.newContext({ acceptDownloads: true });
        const page = await context.newPage();
        await page.goto(pathToFileURL(join(runDir, 'page.html')).href, { waitUntil: 'load' });
        const ranks = new Map<number, number[]>();
        for (let k = 0; k < 2; k++) {
          const index = Number(await page.getAttribute('#item-view', 'data-index'));
          // Rank by length, longest first.
          const lengths = await page.$$eval('#item-view .answer pre', (pres) => pres.map((p) => (p.textContent ?? '').split(/\s+/).length));
          const order = lengths.map((_, slot) => slot).sort((a, b) => (lengths[b] as number) - (lengths[a] as number));
          const slotRanks = lengths.map((_, slot) => order.indexOf(slot) + 1);
          for (const r of slotRanks) await page.keyboard.press(String(r));
          await page.keyboard.press('Enter');
          await page.waitForFunction((i) => document.getElementById('item-view')?.getAttribute('data-index') !== String(i), index);
          ranks.set(index, slotRanks);
        }
        await page.reload({ waitUntil: 'load' });
        expect(await page.getAttribute('#item-view', 'data-index')).toBe('2');
        expect(await page.locator('#progress').innerText()).toContain('2 rated');
        const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
        await download.saveAs(join(runDir, 'export.jsonl'));
      } finally {
        await browser.close();
      }
      const imported = capture();
      const importErr = capture();
      expect(await main(['rate', runDir, '--import', 'export.jsonl'], { stdout: imported.stream, stderr: importErr.stream, env: {}, cwd: runDir }), importErr.text()).toBe(0);
      expect(imported.text()).toContain('Imported 2 rating(s)');
      const lines = await readLines(runDir);
      expect(lines.map((l) => l.item).sort()).toEqual([0, 1]);
      for (const line of lines) {
        expect(line).toMatchObject({ rater: 'bea', scale: 'rank' });
        // The longest answer got rank 1 whichever slot it was shown in.
        const longest = MODELS.map((_, m) => fileItems.models[m]!.responses[line.item]!.split(/\s+/).length);
        const best = MODELS[longest.indexOf(Math.max(...longest))] as string;
        expect(line.scores[best]).toBe(1);
      }
    } finally {
      await rm(runDir, { recursive: true, force: true });
    }
  }, 60_000);
});

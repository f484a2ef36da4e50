// report.html in headless Chromium: loads without console errors, charts render, the item browser navigates,
// and hostile answer text stays text. Saves a screenshot to <repo>/.test-output/report.png for CI.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRunReport } from './run-report.js';
import { HOSTILE_ANSWER, writeReportTestRun } from './report-test-run.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

describe.skipIf(!hasChromium)(`report.html in headless Chromium${hasChromium ? '' : ` (skipped: ${CHROMIUM} not found; apt-get install chromium)`}`, () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'judgekit-browser-'));
    await writeReportTestRun(dir);
    await writeRunReport(dir, { resamples: 200, generatedAt: 'browser test' });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('renders charts, navigates items and never runs answer markup', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('request', (request) => {
        if (!request.url().startsWith('file:')) requests.push(request.url());
      });
      await page.goto(pathToFileURL(join(dir, 'report.html')).href, { waitUntil: 'load' });
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);

      const sizes = await page.$$eval('svg.chart', (svgs) => svgs.map((svg) => svg.getBoundingClientRect()).map((r) => [r.width, r.height]));
      expect(sizes.length).toBeGreaterThanOrEqual(5);
      for (const [w, h] of sizes) {
        expect(w).toBeGreaterThan(0);
        expect(h).toBeGreaterThan(0);
      }
      expect(await page.$$eval('svg.chart circle.point', (n) => n.length)).toBeGreaterThan(0);
      expect(await page.$$eval('svg.chart rect.bar', (n) => n.length)).toBeGreaterThan(0);
      // One heatmap per judge (2 judges), 12 items x 3 models each.
      expect(await page.$$eval('svg.chart rect.cell', (n) => n.length)).toBe(2 * 12 * 3);

      const first = await page.getAttribute('#item-view', 'data-index');
      expect(await page.locator('#item-view .answer').count()).toBe(3);
      await page.click('#next');
      const second = await page.getAttribute('#item-view', 'data-index');
      expect(second).not.toBe(first);
      expect(second).toBe('1');
      // Item 1 holds the hostile answer: shown as text, not markup, and its handlers never ran.
      expect(await page.locator('#item-view').innerText()).toContain('<img src=x onerror=');
      expect(await page.locator('#item-view img, #item-view script, #item-view svg').count()).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
      await page.click('#prev');
      expect(await page.getAttribute('#item-view', 'data-index')).toBe(first);
      await page.selectOption('#item-select', '5');
      expect(await page.getAttribute('#item-view', 'data-index')).toBe('5');
      expect(HOSTILE_ANSWER).toContain('onerror');

      const out = join(repoRoot, '.test-output');
      await mkdir(out, { recursive: true });
      await page.screenshot({ path: join(out, 'report.png'), fullPage: true });
      expect(existsSync(join(out, 'report.png'))).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

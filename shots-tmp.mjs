import { chromium } from 'playwright-core';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
await page.goto('file:///tmp/rp/demo/report.html');
const ids = process.argv.slice(2);
for (const id of ids) {
  await page.locator('#' + id).screenshot({ path: `/tmp/rp/shot-${id}.png` });
}
await browser.close();

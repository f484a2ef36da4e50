// spend.jsonl: keyed records are written once per key across sessions, a torn last line loses no later record,
// and the cost prices the discounted (batch) part at its fraction of the list price.
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { costUsd } from './price-table.js';
import { batchSpendSummary, SpendLog, spendCostUsd, totalSpend, type SessionSpend } from './spend-log.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function spendFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'judgekit-spend-'));
  dirs.push(dir);
  return join(dir, 'run', 'spend.jsonl');
}

const paid = (tokens: number, extra: { key?: string; priceFactor?: number; failed?: number } = {}) => ({ requests: 1, failed: extra.failed ?? 0, tokenUsage: { prompt: tokens, completion: 1 }, ...extra });

describe('SpendLog', () => {
  it('writes a keyed record once, whether the same key comes again in one session or in a later one', async () => {
    const path = await spendFile();
    const first = new SpendLog(path, 'one');
    await first.appendAll([paid(10, { key: 'batch b1 a' }), paid(20, { key: 'batch b1 b' }), paid(10, { key: 'batch b1 a' })]);
    await first.append(paid(5));
    const second = new SpendLog(path, 'two');
    await second.appendAll([paid(10, { key: 'batch b1 a' }), paid(30, { key: 'batch b1 c' })]);
    await second.append(paid(5));
    expect(first.failure).toBeUndefined();
    const lines = (await readFile(path, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { session: string; key?: string });
    expect(lines.map((line) => `${line.session} ${line.key ?? '-'}`)).toEqual(['one batch b1 a', 'one batch b1 b', 'one -', 'two batch b1 c', 'two -']);
    const sessions = await SpendLog.read(path);
    expect(sessions.get('one')).toMatchObject({ requests: 3, tokenUsage: { prompt: 35, completion: 3 } });
    expect(sessions.get('two')).toMatchObject({ requests: 2, tokenUsage: { prompt: 35, completion: 2 } });
  });

  it('starts on a new line after a torn last line, so the next record is read back', async () => {
    const path = await spendFile();
    await new SpendLog(path, 'killed').append(paid(7));
    await appendFile(path, '{"session":"killed","requests":1,"fai');
    await new SpendLog(path, 'next').append(paid(9, { key: 'unit u1' }));
    const sessions = await SpendLog.read(path);
    expect([...sessions.keys()]).toEqual(['killed', 'next']);
    expect(sessions.get('next')).toMatchObject({ requests: 1, tokenUsage: { prompt: 9, completion: 1 } });
  });

  it('reads a key written twice by hand once, and sums the discounted part by its price factor', async () => {
    const path = await spendFile();
    const log = new SpendLog(path, 's');
    await log.appendAll([paid(100, { key: 'k1', priceFactor: 0.5 }), paid(50, { priceFactor: 0.5, failed: 1 }), paid(10)]);
    await appendFile(path, `${JSON.stringify({ session: 's', ...paid(100, { key: 'k1', priceFactor: 0.5 }) })}\n`);
    const spend = (await SpendLog.read(path)).get('s') as SessionSpend;
    expect(spend).toEqual({ requests: 3, failed: 1, tokenUsage: { prompt: 160, completion: 3 }, discounted: [{ priceFactor: 0.5, requests: 2, failed: 1, tokenUsage: { prompt: 150, completion: 2 } }] });
  });
});

describe('spendCostUsd and batchSpendSummary', () => {
  const price = { input: 2, output: 8 };
  it.each([
    { name: 'all at the list price', spend: { requests: 2, failed: 0, tokenUsage: { prompt: 1000, completion: 100 } }, expected: costUsd({ prompt: 1000, completion: 100 }, price) },
    {
      name: 'a batch part at half the list price',
      spend: { requests: 3, failed: 0, tokenUsage: { prompt: 1000, completion: 100 }, discounted: [{ priceFactor: 0.5, requests: 2, failed: 0, tokenUsage: { prompt: 600, completion: 60 } }] },
      expected: costUsd({ prompt: 400, completion: 40 }, price) + costUsd({ prompt: 600, completion: 60 }, price) / 2,
    },
    { name: 'nothing spent', spend: { requests: 0, failed: 0, tokenUsage: { prompt: 0, completion: 0 } }, expected: 0 },
  ])('prices $name', ({ spend, expected }) => {
    expect(spendCostUsd(spend, price)).toBeCloseTo(expected, 15);
  });

  it('sums sessions and summarises their batch part at the batch price, or says there is none', () => {
    const total = totalSpend([
      { requests: 1, failed: 0, tokenUsage: { prompt: 10, completion: 1 } },
      { requests: 2, failed: 1, tokenUsage: { prompt: 20, completion: 2 }, discounted: [{ priceFactor: 0.5, requests: 2, failed: 1, tokenUsage: { prompt: 20, completion: 2 } }] },
    ]);
    expect(total).toMatchObject({ requests: 3, failed: 1, tokenUsage: { prompt: 30, completion: 3 } });
    expect(batchSpendSummary(total, price)).toEqual({ priceFactor: 0.5, price: { input: 1, output: 4 }, requests: 2, failed: 1, tokenUsage: { prompt: 20, completion: 2 }, costUsd: costUsd({ prompt: 20, completion: 2 }, price) / 2 });
    expect(batchSpendSummary(total, undefined)?.costUsd).toBeNull();
    expect(batchSpendSummary({ requests: 1, failed: 0, tokenUsage: { prompt: 1, completion: 1 } }, price)).toBeUndefined();
  });
});

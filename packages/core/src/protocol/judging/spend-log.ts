// `spend.jsonl`: every request to the judge's provider as it is paid for, one line each, so the cost of a session
// that is killed before it writes run.json still counts in the totals. Live calls are written as they are made;
// a provider batch's results (at the batch price) and a queue unit's calls as they are read back, under a key so
// that reading them back twice (after a kill) does not count them twice.
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { TokenUsage } from '../../contracts/chat-model-provider.js';
import type { BatchSpendSummary, SpendRecord } from '../../run/run-directory.js';
import type { Spend } from './judge-call-runner.js';
import { costUsd, type ModelPrice } from './price-table.js';

/** The part of a session's spend billed at a fraction of the list price (provider batches). */
export interface DiscountedSpend {
  priceFactor: number;
  requests: number;
  failed: number;
  tokenUsage: TokenUsage;
}

/** One session's spend, summed; `discounted` (absent when none) is the part of it billed below the list price. */
export interface SessionSpend {
  requests: number;
  failed: number;
  tokenUsage: TokenUsage;
  discounted?: DiscountedSpend[];
}

/** What `spend` costs: the list price, except the discounted part at its fraction of it. */
export function spendCostUsd(spend: SessionSpend, price: ModelPrice): number {
  const listed = { prompt: spend.tokenUsage.prompt, completion: spend.tokenUsage.completion };
  let cost = 0;
  for (const part of spend.discounted ?? []) {
    listed.prompt -= part.tokenUsage.prompt;
    listed.completion -= part.tokenUsage.completion;
    cost += costUsd(part.tokenUsage, price) * part.priceFactor;
  }
  return costUsd(listed, price) + cost;
}

/** Sums of several sessions' spend. */
export function totalSpend(sessions: Iterable<SessionSpend>): SessionSpend {
  const total: SessionSpend = { requests: 0, failed: 0, tokenUsage: { prompt: 0, completion: 0 } };
  for (const spend of sessions) add(total, spend);
  return total;
}

/** The discounted (batch-priced) part of `spend` as run.json and results.json record it, or undefined when none. */
export function batchSpendSummary(spend: SessionSpend, price: ModelPrice | undefined): BatchSpendSummary | undefined {
  const parts = spend.discounted ?? [];
  const first = parts[0];
  if (!first) return undefined;
  const summed = totalSpend(parts.map(({ requests, failed, tokenUsage }) => ({ requests, failed, tokenUsage })));
  return {
    priceFactor: first.priceFactor,
    price: price ? { input: price.input * first.priceFactor, output: price.output * first.priceFactor } : null,
    requests: summed.requests,
    failed: summed.failed,
    tokenUsage: summed.tokenUsage,
    costUsd: price ? spendCostUsd({ ...summed, discounted: parts }, price) : null,
  };
}

function add(total: SessionSpend, spend: SessionSpend | SpendRecord): void {
  total.requests += spend.requests;
  total.failed += spend.failed;
  total.tokenUsage.prompt += spend.tokenUsage.prompt;
  total.tokenUsage.completion += spend.tokenUsage.completion;
  const parts: DiscountedSpend[] =
    'priceFactor' in spend && typeof spend.priceFactor === 'number' && spend.priceFactor !== 1
      ? [{ priceFactor: spend.priceFactor, requests: spend.requests, failed: spend.failed, tokenUsage: spend.tokenUsage }]
      : 'discounted' in spend && Array.isArray(spend.discounted)
        ? spend.discounted
        : [];
  for (const part of parts) {
    total.discounted ??= [];
    let same = total.discounted.find((entry) => entry.priceFactor === part.priceFactor);
    if (!same) {
      same = { priceFactor: part.priceFactor, requests: 0, failed: 0, tokenUsage: { prompt: 0, completion: 0 } };
      total.discounted.push(same);
    }
    same.requests += part.requests;
    same.failed += part.failed;
    same.tokenUsage.prompt += part.tokenUsage.prompt;
    same.tokenUsage.completion += part.tokenUsage.completion;
  }
}

/** Parses spend.jsonl's lines; a torn line (a kill mid-append) is skipped, and so is a key seen before. */
function parseRecords(text: string): SpendRecord[] {
  const records: SpendRecord[] = [];
  const keys = new Set<string>();
  for (const line of text.split('\n')) {
    let record: SpendRecord;
    try {
      record = JSON.parse(line) as SpendRecord;
    } catch {
      continue;
    }
    if (typeof record?.session !== 'string' || typeof record.tokenUsage?.prompt !== 'number') continue;
    if (typeof record.key === 'string') {
      if (keys.has(record.key)) continue;
      keys.add(record.key);
    }
    records.push(record);
  }
  return records;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Appends one session's spend to a run directory's spend.jsonl (appends are serialised; failures are kept, not thrown). */
export class SpendLog {
  #chain: Promise<void> = Promise.resolve();
  #failed: Error | undefined;
  /** Keys already in the file, and whether its last line lacks its newline (a torn append). */
  #opened: Promise<{ keys: Set<string>; torn: boolean }> | undefined;

  constructor(
    readonly path: string,
    readonly session: string,
  ) {}

  append(spend: Spend): Promise<void> {
    return this.appendAll([spend]);
  }

  /** Several records in one write; those whose key is already in the file are left out. */
  appendAll(spends: readonly Spend[]): Promise<void> {
    // The run directory may not exist yet when the first request is paid for (a study's judge folder).
    this.#opened ??= mkdir(dirname(this.path), { recursive: true })
      .then(() => readText(this.path))
      .then((text) => ({ keys: new Set(parseRecords(text ?? '').flatMap((record) => (record.key ? [record.key] : []))), torn: text !== undefined && text.length > 0 && !text.endsWith('\n') }));
    this.#chain = this.#chain.then(async () => {
      try {
        const opened = await this.#opened!;
        const lines: string[] = [];
        for (const spend of spends) {
          if (spend.key !== undefined) {
            if (opened.keys.has(spend.key)) continue;
            opened.keys.add(spend.key);
          }
          lines.push(`${JSON.stringify({ session: this.session, ...spend } satisfies SpendRecord)}\n`);
        }
        if (lines.length === 0) return;
        // After a torn last line, start on a line of our own so the first record is not lost with it.
        const text = `${opened.torn ? '\n' : ''}${lines.join('')}`;
        opened.torn = false;
        await appendFile(this.path, text);
      } catch (error) {
        this.#failed ??= error as Error;
      }
    });
    return this.#chain;
  }

  /** The first append that failed, if any (the spend of this session is then under-counted). */
  get failure(): Error | undefined {
    return this.#failed;
  }

  /** Every session's spend, in the order the sessions first appear. */
  static async read(path: string): Promise<Map<string, SessionSpend>> {
    const sessions = new Map<string, SessionSpend>();
    let text: string | undefined;
    try {
      text = await readText(path);
    } catch {
      return sessions;
    }
    for (const record of parseRecords(text ?? '')) {
      let total = sessions.get(record.session);
      if (!total) {
        total = { requests: 0, failed: 0, tokenUsage: { prompt: 0, completion: 0 } };
        sessions.set(record.session, total);
      }
      add(total, record);
    }
    return sessions;
  }
}

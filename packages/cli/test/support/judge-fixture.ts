// A small judging job for the crash, fault and secrets tests: answer files whose every answer names its item,
// and a deterministic batched judge reply that names the item too, so a request, a cache entry and a log line
// can each be traced to the item it belongs to.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { batchedPromptAnswers, fencedBlocks } from '@judgekit/judges/testing';

export const FIXTURE_MODELS = ['alpha', 'beta', 'gamma'] as const;

/** The score a model's answer to item i deserves: fixed, so every run gives the same results. */
export function fixtureScore(model: number, item: number): number {
  return (item * 37 + model * 23) % 101;
}

/** Write `{model}-ift-test-results.json` for each fixture model; returns the file paths. */
export async function writeFixtureAnswers(dir: string, items: number): Promise<string[]> {
  const files: string[] = [];
  for (const [m, model] of FIXTURE_MODELS.entries()) {
    const records = Array.from({ length: items }, (_, i) => ({
      instruction: `Task ${i}: say something about item ${i}.`,
      input: i % 3 === 0 ? `context ${i}` : '',
      output: `reference ${i}`,
      model_response: `item-${i} by ${model} worth ${fixtureScore(m, i)}`,
    }));
    const file = join(dir, `${model}-ift-test-results.json`);
    await writeFile(file, JSON.stringify(records, null, 2));
    files.push(file);
  }
  return files;
}

/** The item a judge prompt is about (from the answers it shows), or -1. */
export function itemOfPrompt(prompt: string): number {
  const match = /item-(\d+) by /.exec(prompt);
  return match ? Number(match[1]) : -1;
}

/** The batched reply a fair judge gives: each slot's deserved score; comments name the item. */
export function fixtureBatchedReply(prompt: string): string {
  const reply: Record<string, { score: number; comments: string }> = {};
  batchedPromptAnswers(prompt).forEach((answer, slot) => {
    const worth = Number(/worth (\d+)/.exec(answer)?.[1] ?? 0);
    const item = /item-(\d+)/.exec(answer)?.[1] ?? '?';
    reply[`Model ${slot + 1}`] = { score: worth, comments: `judged item-${item}` };
  });
  return JSON.stringify(reply);
}

/** Whether a prompt is a batched prompt with fenced answers (for scripts that serve several modes). */
export function isBatchedPrompt(prompt: string): boolean {
  return fencedBlocks(prompt).some((block) => /^# Model \d+$/.test(block.heading));
}

/** Every file under a directory, recursively. */
export async function listFiles(dir: string): Promise<string[]> {
  let names: Array<{ name: string; isDirectory(): boolean }>;
  try {
    names = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const entry of names) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(path)));
    else out.push(path);
  }
  return out;
}

/** Cache files whose stored reply names `item-i`, by item. */
export async function cachedItems(cacheDir: string): Promise<Map<number, string>> {
  const byItem = new Map<number, string>();
  for (const file of await listFiles(cacheDir)) {
    if (!file.endsWith('.json')) continue;
    const text = await readFile(file, 'utf8').catch(() => '');
    const match = /judged item-(\d+)/.exec(text);
    if (match) byItem.set(Number(match[1]), file);
  }
  return byItem;
}

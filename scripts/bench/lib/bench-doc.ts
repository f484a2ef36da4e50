// Writes a benchmark's figures between its markers in docs/benchmarks.md, leaving the other sections alone.
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';

export async function writeBenchSection(name: string, markdown: string): Promise<void> {
  const path = resolve('docs/benchmarks.md');
  const text = await readFile(path, 'utf8');
  const open = `<!-- bench:${name} -->`;
  const close = `<!-- /bench:${name} -->`;
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start < 0 || end < start) throw new Error(`docs/benchmarks.md has no ${open} ... ${close} section`);
  await writeFile(path, `${text.slice(0, start + open.length)}\n${markdown.trim()}\n${text.slice(end)}`);
}

/** Machine description for a figure's caption. */
export async function machineLine(): Promise<string> {
  const os = await import('node:os');
  const cpus = os.cpus();
  const load = os.loadavg()[0]?.toFixed(1) ?? '?';
  return `${cpus.length} x ${cpus[0]?.model ?? 'CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load average ${load} at the start`;
}

export function fmt(value: number, digits = 1): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

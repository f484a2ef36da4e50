// Crash safety of `judgekit generate`: the CLI runs as a child process on a tiny GPT-2 checkpoint with the
// settings users run it with (batches of several prompts, 2 intra-op threads, the huge-pages child on Linux) and
// the CLI process is SIGKILLed at random points while answers are being logged; reruns finish with every logged
// answer kept and not generated again, and the answer file equals an uninterrupted run's, although a rerun batches
// the missing prompts differently. A damaged log line is not trusted: that answer is generated again.
import { decodeLog } from '@judgekit/core';
import { createTinyGpt2 } from '@judgekit/backends/testing';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processesMentioning, runJudgekit, startJudgekit, waitFor } from './support/cli-process.js';

const RECORDS = 40;
const KILLS = 2;
let root: string;
let modelPath: string;

/**
 * Batches of 4 and 2 threads: a resumed run batches the missing prompts differently (other neighbours, other
 * padding), so equal answers show that an answer does not depend on its batch.
 */
function generateArgs(out: string): string[] {
  return ['generate', modelPath, '--dataset', join(root, 'data.json'), '--split', 'all', '--out', out, '--name', 'tiny', '--max-new-tokens', '12', '--batch-size', '4', '--device', 'cpu', '--threads', '2', '-q'];
}

function loggedIndices(out: string): number[] {
  const path = join(out, 'tiny.generation.jsonl');
  if (!existsSync(path)) return [];
  return [...decodeLog(readFileSync(path, 'utf8')).entries.keys()].map(Number);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'judgekit-crash-generate-'));
  await mkdir(join(root, 'model'));
  const tiny = await createTinyGpt2({ dir: join(root, 'model'), name: 'tiny', seed: 5, vocabSize: 50257, contextLength: 96, embDim: 8, nLayers: 1, nHeads: 2, naming: 'book' });
  modelPath = tiny.checkpointPath;
  const records = Array.from({ length: RECORDS }, (_, i) => ({ instruction: `Describe item ${i} in a few words.`, input: i % 3 ? `item ${i}` : '', output: `item ${i} is fine` }));
  await writeFile(join(root, 'data.json'), JSON.stringify(records));
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('judgekit generate survives kill -9', () => {
  let baseline: unknown;

  it('with batches of 4 and 2 threads, kill -9 of the CLI at random points stops its huge-pages child too; reruns generate only the missing answers and match an uninterrupted run', async () => {
    const base = await runJudgekit(generateArgs(join(root, 'baseline')), {});
    expect(base.stderr).toBe('');
    expect(base.code).toBe(0);
    expect(base.stdout).toMatch(new RegExp(`${RECORDS} answers \\(${RECORDS} generated`));
    baseline = JSON.parse(await readFile(join(root, 'baseline', 'tiny-ift-test-results.json'), 'utf8'));

    const out = join(root, 'crashed');
    let seen = 0;
    for (let round = 0; round < KILLS; round++) {
      // Kill once a few more answers are logged (mid-append, mid-batch or between batches).
      const target = seen + 2 + round * 3;
      const child = startJudgekit(generateArgs(out), {});
      await waitFor(() => loggedIndices(out).length >= target || child.child.exitCode !== null, 90_000, 2);
      // On Linux the CLI re-ran itself in a huge-pages child; the CLI (the parent) is the process killed.
      if (process.platform === 'linux') expect(processesMentioning(out).length).toBeGreaterThanOrEqual(2);
      child.kill('SIGKILL');
      const result = await child.done;
      expect(result.signal ?? `exit ${result.code}`).toBe('SIGKILL');
      // The child stops with it: nothing generates on into the run folder.
      await waitFor(() => processesMentioning(out).length === 0, 10_000, 20).catch(() => undefined);
      expect(processesMentioning(out), 'processes still running on the run folder after kill -9 of the CLI').toEqual([]);
      const logged = loggedIndices(out).length;
      expect(logged).toBeGreaterThanOrEqual(seen);
      seen = logged;
    }
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThan(RECORDS);
    expect(existsSync(join(out, 'tiny-ift-test-results.json'))).toBe(false);

    const final = await runJudgekit(generateArgs(out), {});
    expect(final.code).toBe(0);
    // Exactly the answers missing from the log are generated; every logged one is kept.
    expect(final.stdout).toMatch(new RegExp(`${RECORDS} answers \\(${RECORDS - seen} generated .*, ${seen} resumed`));
    expect(JSON.parse(await readFile(join(out, 'tiny-ift-test-results.json'), 'utf8'))).toEqual(baseline);
  }, 180_000);

  it('a damaged log line is not trusted: that answer is generated again', async () => {
    const out = join(root, 'crashed');
    const logPath = join(out, 'tiny.generation.jsonl');
    const lines = (await readFile(logPath, 'utf8')).split('\n');
    lines[3] = (lines[3] as string).replace('"model_response":"', '"model_response":"FORGED ');
    lines[7] = (lines[7] as string).slice(0, 25);
    await writeFile(logPath, lines.join('\n'));
    const result = await runJudgekit(generateArgs(out), {});
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`${RECORDS} answers \\(2 generated .*, ${RECORDS - 2} resumed`));
    const answers = JSON.parse(await readFile(join(out, 'tiny-ift-test-results.json'), 'utf8')) as Array<{ model_response: string }>;
    expect(answers.some((answer) => answer.model_response.includes('FORGED'))).toBe(false);
    expect(answers).toEqual(baseline);
  }, 120_000);
});

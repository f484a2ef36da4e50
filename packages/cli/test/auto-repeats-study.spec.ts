// `judges[].repeats: "auto"` in a study config: `judgekit run` judges with auto repeats against the fake server, the
// study's results.json keeps why it stopped, its results.md lists the judge's flip rate, and a rerun makes no calls.
import 'reflect-metadata';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResults } from '@judgekit/core';
import { singlePromptAnswer, startFakeLlmServer, type FakeLlmServer } from '@judgekit/judges/testing';
import { runMain } from './support/run-main.js';

let server: FakeLlmServer;
let root: string;
const seen = new Map<string, number>();

beforeAll(async () => {
  // The answer's worth, plus 1 on every other asking of the same prompt: repeats disagree a little.
  server = await startFakeLlmServer((request) => {
    const n = seen.get(request.prompt) ?? 0;
    seen.set(request.prompt, n + 1);
    return String(Number(/worth (\d+)/.exec(singlePromptAnswer(request.prompt) ?? '')?.[1] ?? 50) + (n % 2));
  });
  root = await mkdtemp(join(tmpdir(), 'judgekit-auto-study-'));
  for (const [name, base] of [
    ['low', 20],
    ['high', 70],
  ] as const) {
    await writeFile(join(root, `${name}.json`), JSON.stringify(Array.from({ length: 6 }, (_, i) => ({ instruction: `Task ${i}`, input: '', output: `out ${i}`, model_response: `answer worth ${base + i}` }))));
  }
  await writeFile(
    join(root, 'study.json'),
    JSON.stringify({
      runDir: 'out',
      models: [
        { name: 'low', answers: 'low.json' },
        { name: 'high', answers: 'high.json' },
      ],
      judges: [{ name: 'single', mode: 'single', judge: 'openai:judge-x', repeats: 'auto', autoRepeats: { max: 4 } }],
    }),
  );
});
afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

describe('repeats "auto" in a study config', () => {
  it('runs the judge with auto repeats, records why it stopped and the flip rate in the study results, and a rerun makes no calls', async () => {
    const env = { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: server.openaiBaseURL, JUDGEKIT_CACHE_DIR: join(root, 'cache') };
    const first = await runMain(['run', 'study.json'], { cwd: root, env });
    expect(first.stderr).not.toMatch(/error/i);
    expect(first.code).toBe(0);
    expect(server.requests).toHaveLength(2 * 6 * 2);
    const results = JSON.parse(await readFile(join(root, 'out', 'results.json'), 'utf8')) as RunResults;
    expect(results.judges[0]?.autoRepeats).toMatchObject({ stopped: 'separated', repeats: 2, settings: { max: 4 } });
    expect(results.judges[0]?.stability?.flipRate).toBe(1);
    const markdown = await readFile(join(root, 'out', 'results.md'), 'utf8');
    expect(markdown).toContain('- single: flip rate 100.0%');
    expect(markdown).toContain('repeats auto stopped after 2 repeats because every adjacent pair of models is separated');
    const again = await runMain(['run', 'study.json'], { cwd: root, env });
    expect(again.code).toBe(0);
    expect(server.requests).toHaveLength(2 * 6 * 2);
  });
});

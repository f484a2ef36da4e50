// `judgekit judge --repeats auto` and `--options '{"logprobs": true}'` in-process through main() against the fake
// server: why it stopped on stderr and in results.json, run.json records "auto", a rerun makes no calls, usage errors.
import 'reflect-metadata';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeLog, type JudgmentRecord, type RunResults } from '@judgekit/core';
import { singlePromptAnswer, startFakeLlmServer, type FakeLlmServer } from '@judgekit/judges/testing';
import { main } from '../src/main.js';

let server: FakeLlmServer;
let root: string;
const files: string[] = [];

function capture(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream, text: () => text };
}

async function judgekit(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = capture();
  const stderr = capture();
  const code = await main(['judge', ...args], { stdout: stdout.stream, stderr: stderr.stream, env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: server.openaiBaseURL, JUDGEKIT_CACHE_DIR: join(root, 'cache') }, cwd: root });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

beforeAll(async () => {
  server = await startFakeLlmServer((request) => String(Number(/worth (\d+)/.exec(singlePromptAnswer(request.prompt) ?? '')?.[1] ?? 50)));
  root = await mkdtemp(join(tmpdir(), 'judgekit-cli-auto-'));
  for (const [name, scores] of [
    ['small', [10, 30, 50, 20]],
    ['large', [90, 80, 85, 95]],
  ] as const) {
    await writeFile(join(root, `${name}-ift-test-results.json`), JSON.stringify(scores.map((score, i) => ({ instruction: `Task ${i}`, input: '', output: `out ${i}`, model_response: `answer worth ${score}` }))));
    files.push(`${name}-ift-test-results.json`);
  }
});
afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

describe('judgekit judge --repeats auto', () => {
  it('stops after 2 repeats when the models are separated, says why, records "auto" in run.json, and a rerun makes no calls', async () => {
    const before = server.requests.length;
    const first = await judgekit(['--mode', 'single', '--judge', 'openai:judge-x', '--out', 'run-auto', '--repeats', 'auto', '--max-repeats', '4', ...files]);
    expect(first.code).toBe(0);
    expect(server.requests.length - before).toBe(2 * 4 * 2);
    expect(first.stderr).toMatch(/repeats auto: stopped after 2 repeats \(8 judgments; 4, 4 items per repeat\) because every adjacent pair of models is separated/);
    expect(first.stdout).toContain('Repeats auto: stopped after 2 repeats');
    const results = JSON.parse(await readFile(join(root, 'run-auto', 'results.json'), 'utf8')) as RunResults;
    expect(results.judges[0]?.autoRepeats).toMatchObject({ stopped: 'separated', settings: { min: 2, max: 4, targetCiWidth: null } });
    const run = JSON.parse(await readFile(join(root, 'run-auto', 'run.json'), 'utf8')) as { judge: { repeats: unknown }; options: { repeats: unknown } };
    expect(run.judge.repeats).toBe('auto');
    expect(run.options.repeats).toBe('auto');
    const again = server.requests.length;
    const second = await judgekit(['--mode', 'single', '--judge', 'openai:judge-x', '--out', 'run-auto', '--repeats', 'auto', '--max-repeats', '4', ...files]);
    expect(second.code).toBe(0);
    expect(server.requests.length - again).toBe(0);
  });

  it('records score distributions with --options {"logprobs": true} (the fake server sends OpenAI logprobs)', async () => {
    const result = await judgekit(['--mode', 'single', '--judge', 'openai:judge-x', '--out', 'run-logprobs', '--options', '{"logprobs": true}', ...files]);
    expect(result.code).toBe(0);
    const log = decodeLog<JudgmentRecord>(await readFile(join(root, 'run-logprobs', 'judgments.jsonl'), 'utf8'));
    const first = [...log.entries.values()].find((r) => r.index === 0);
    expect(first?.scores[0]?.distribution).toEqual({ expected: 10, mass: 1, probabilities: { '10': 1 } });
    expect(result.stdout).toContain('Expected score from token log-probabilities');
  });

  it('refuses --max-repeats without --repeats auto, and --repeats auto with provider batches, naming the options', async () => {
    const stray = await judgekit(['--mode', 'single', '--judge', 'openai:judge-x', '--out', 'run-x', '--max-repeats', '4', ...files]);
    expect(stray.code).not.toBe(0);
    expect(stray.stderr).toContain('--max-repeats, --min-repeats and --target-ci-width go with --repeats auto');
    const batch = await judgekit(['--mode', 'single', '--judge', 'openai:judge-x', '--out', 'run-y', '--repeats', 'auto', '--execution', 'batch-api', ...files]);
    expect(batch.code).not.toBe(0);
    expect(batch.stderr).toContain('--repeats auto decides each repeat from the scores of the ones before');
  });
});

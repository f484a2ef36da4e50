// Rate limits from the command line and the study config: `judgekit judge --rpm/--tpm/--max-in-flight`, the
// schema's judges[].rateLimit, and judges of one endpoint sharing one limiter.
import 'reflect-metadata';
import { assembleJudge, ProviderLimiters, validateStudyConfig } from '@judgekit/core';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { singlePromptAnswer, startFakeLlmServer, type FakeLlmServer } from '@judgekit/judges/testing';
import { assembleJudgekit } from '../src/builtin-plugins.js';
import { main } from '../src/main.js';

let server: FakeLlmServer;
let root: string;
let inFlight = 0;
let mostInFlight = 0;

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
  const code = await main(['judge', ...args], {
    stdout: stdout.stream,
    stderr: stderr.stream,
    env: { OPENAI_API_KEY: 'sk-test-not-a-key', OPENAI_BASE_URL: server.openaiBaseURL, JUDGEKIT_CACHE_DIR: join(root, 'cache') },
    cwd: root,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

beforeAll(async () => {
  server = await startFakeLlmServer(async (request) => {
    inFlight++;
    mostInFlight = Math.max(mostInFlight, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 10));
    inFlight--;
    // The first request is refused: the run must back off and still judge it.
    if (request.seq === 0) return { status: 429, headers: { 'retry-after-ms': '20' } };
    return String(Number(/worth (\d+)/.exec(singlePromptAnswer(request.prompt) ?? '')?.[1] ?? -1));
  });
  root = await mkdtemp(join(tmpdir(), 'judgekit-cli-rate-limit-'));
  await writeFile(join(root, 'm-ift-test-results.json'), JSON.stringify(Array.from({ length: 16 }, (_, i) => ({ instruction: `Task ${i}`, input: '', output: `out ${i}`, model_response: `answer worth ${i}` }))));
});
afterAll(async () => {
  await server.close();
});

describe('rate limits in judgekit judge and the study config', () => {
  it('judge --max-in-flight 2 --rpm 6000 keeps at most 2 calls at the server, retries the 429, scores every item and records the limits', async () => {
    mostInFlight = 0;
    const outDir = join(root, 'run-limited');
    const result = await judgekit(['--mode', 'single', '--judge', 'openai:j', '--out', outDir, '--max-in-flight', '2', '--rpm', '6000', '--tpm', '1000000', 'm-ift-test-results.json']);
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    expect(mostInFlight).toBe(2);
    expect(server.requests).toHaveLength(17);
    expect(result.stdout).toMatch(/calls: 16 made \(17 requests, 1 retries, 0 failed\)/);
    const run = JSON.parse(await readFile(join(outDir, 'run.json'), 'utf8')) as { config?: Record<string, unknown>; judge?: { options?: Record<string, unknown> } };
    expect(JSON.stringify(run)).toContain('"rateLimit":{"requestsPerMinute":6000,"tokensPerMinute":1000000,"maxInFlight":2}');
  });

  it('judge refuses a rate limit that is not a positive number, naming the flag', async () => {
    const rpm = await judgekit(['--mode', 'single', '--judge', 'openai:j', '--out', join(root, 'bad'), '--rpm', '0', 'm-ift-test-results.json']);
    expect(rpm.code).not.toBe(0);
    expect(rpm.stderr).toContain('--rpm must be a number >= 1, got "0"');
    const inFlightFlag = await judgekit(['--mode', 'single', '--judge', 'openai:j', '--out', join(root, 'bad'), '--max-in-flight', '1.5', 'm-ift-test-results.json']);
    expect(inFlightFlag.stderr).toContain('--max-in-flight must be an integer >= 1, got "1.5"');
  });

  it('the schema takes judges[].rateLimit and refuses a zero rate or an unknown field, naming the file and field', () => {
    const config = validateStudyConfig({ models: [{ name: 'a', answers: 'x.json' }], judges: [{ mode: 'single', judge: 'openai:x', rateLimit: { requestsPerMinute: 500, tokensPerMinute: 200000, maxInFlight: 8 } }] });
    expect(config.judges?.[0]?.rateLimit).toEqual({ requestsPerMinute: 500, tokensPerMinute: 200000, maxInFlight: 8 });
    expect(() => validateStudyConfig({ models: [{ name: 'a', answers: 'x.json' }], judges: [{ mode: 'single', rateLimit: { requestsPerMinute: 0 } }] }, 'study.json')).toThrowError(/study\.json[\s\S]*rateLimit\/requestsPerMinute/);
    expect(() => validateStudyConfig({ models: [{ name: 'a', answers: 'x.json' }], judges: [{ mode: 'single', rateLimit: { rpm: 5 } }] }, 'study.json')).toThrowError(/study\.json[\s\S]*rateLimit/);
  });

  it('judges of one endpoint share one limiter with the stricter limits, another endpoint has its own, and a judge without limits has none', async () => {
    const { registry } = await assembleJudgekit({ baseDir: process.cwd() });
    const limiters = new ProviderLimiters();
    const context = { registry, env: {}, cacheDir: join(tmpdir(), 'judgekit-unused-cache'), at: { path: 'judges[0]' }, limiters };
    const first = assembleJudge('a', { mode: 'single', judge: 'openai:x', baseURL: 'http://127.0.0.1:9/v1', dryRun: true, rateLimit: { requestsPerMinute: 600, maxInFlight: 12 } }, context);
    const second = assembleJudge('b', { mode: 'batched', judge: 'openai:y', baseURL: 'http://127.0.0.1:9/v1', dryRun: true, rateLimit: { requestsPerMinute: 300 } }, context);
    const elsewhere = assembleJudge('c', { mode: 'single', judge: 'openai:x', baseURL: 'http://127.0.0.1:10/v1', dryRun: true, rateLimit: { maxInFlight: 3 } }, context);
    const unlimited = assembleJudge('d', { mode: 'single', judge: 'openai:x', baseURL: 'http://127.0.0.1:9/v1', dryRun: true }, context);
    // The second judge's 300 rpm is the stricter; its concurrency (4) does not cap the endpoint the first gave 12.
    expect(first.calls.limitStatus()).toBe('limit 4/12 (300 rpm)');
    expect(second.calls.limitStatus()).toBe(first.calls.limitStatus());
    expect(elsewhere.calls.limitStatus()).toBe('limit 3/3');
    expect(unlimited.calls.limitStatus()).toBeUndefined();
    // maxInFlight is the judge's concurrency unless it sets one (the judge stage keeps items in flight to match).
    expect(first.settings.concurrency).toBe(12);
    expect(elsewhere.settings.concurrency).toBe(3);
  });
});

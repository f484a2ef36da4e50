// API keys come from the environment only and end up nowhere else: a whole `judgekit run` (answer files, a
// batched and a single judge against a local OpenAI-compatible server, some calls failing) with recognisable
// fake keys, then every file under the run directory, the cache and HOME, and the captured stdout and stderr,
// are searched for the keys (and their base64 forms).
import { startFakeLlmServer, singlePromptAnswer, type FakeLlmServer } from '@judgekit/judges/testing';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJudgekit } from './support/cli-process.js';
import { fixtureBatchedReply, isBatchedPrompt, itemOfPrompt, listFiles, writeFixtureAnswers } from './support/judge-fixture.js';

const OPENAI_KEY = 'sk-JUDGEKIT-FAKE-openai-7f3c9a1e5b';
const ANTHROPIC_KEY = 'sk-ant-JUDGEKIT-FAKE-anthropic-42d8c6';
const ITEMS = 6;

let server: FakeLlmServer;
let root: string;

function needles(secret: string): string[] {
  // The key itself, its base64 (as in a Basic auth header) and a long inner piece (a truncated echo).
  return [secret, Buffer.from(secret).toString('base64'), secret.slice(3, -3)];
}

beforeAll(async () => {
  server = await startFakeLlmServer((request) => {
    const item = itemOfPrompt(request.prompt);
    // Failures whose messages end up in the logs: a 401 (wrong key), a 500, and a 400 for one item each.
    if (item === 1 && isBatchedPrompt(request.prompt)) return { status: 401, errorMessage: 'Incorrect API key provided: sk-JUD***********b.' };
    if (item === 2) return { status: 400, errorMessage: 'bad request' };
    if (isBatchedPrompt(request.prompt)) return fixtureBatchedReply(request.prompt);
    return String(Number(/worth (\d+)/.exec(singlePromptAnswer(request.prompt) ?? '')?.[1] ?? 0));
  });
  root = await mkdtemp(join(tmpdir(), 'judgekit-secrets-'));
});

afterAll(async () => {
  await server?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('API keys stay in the environment', () => {
  it('a full `judgekit run` writes the keys to no file, cache entry or log', async () => {
    const study = join(root, 'study');
    await mkdir(study, { recursive: true });
    const files = await writeFixtureAnswers(study, ITEMS);
    const home = join(root, 'home');
    await mkdir(home, { recursive: true });
    const config = {
      runDir: 'run',
      cacheDir: '../cache',
      models: files.map((file) => ({ name: file.replace(/^.*[\\/]/, '').replace(/-ift-test-results\.json$/, ''), answers: file.replace(/^.*[\\/]/, '') })),
      judges: [
        { mode: 'batched', judge: 'openai:secret-judge', seed: 7 },
        { mode: 'single', judge: 'openai:secret-judge', name: 'single-judge' },
        { mode: 'reference' },
      ],
    };
    await writeFile(join(study, 'study.json'), JSON.stringify(config, null, 2));

    const result = await runJudgekit(['run', join(study, 'study.json')], {
      HOME: home,
      OPENAI_API_KEY: OPENAI_KEY,
      ANTHROPIC_API_KEY: ANTHROPIC_KEY,
      OPENAI_BASE_URL: server.openaiBaseURL,
      JUDGEKIT_CACHE_DIR: join(root, 'env-cache'),
    });
    expect(result.stderr).not.toMatch(/unexpected error/);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/stage report: done/);

    // The key was really used: the server saw it, as the SDK's bearer token.
    expect(server.requests.length).toBeGreaterThan(ITEMS);
    expect(server.requests.every((request) => request.headers.authorization === `Bearer ${OPENAI_KEY}`)).toBe(true);

    const written = [...(await listFiles(join(study, 'run'))), ...(await listFiles(join(root, 'cache'))), ...(await listFiles(join(root, 'env-cache'))), ...(await listFiles(home))];
    expect(written.some((file) => file.endsWith('judgments.jsonl'))).toBe(true);
    expect(written.some((file) => file.endsWith('report.html'))).toBe(true);
    expect(written.some((file) => file.includes(`${join(root, 'cache')}/`))).toBe(true);
    const leaks: string[] = [];
    for (const file of written) {
      const bytes = await readFile(file);
      const texts = [bytes.toString('utf8'), bytes.toString('latin1')];
      for (const secret of [OPENAI_KEY, ANTHROPIC_KEY]) {
        for (const needle of needles(secret)) if (texts.some((text) => text.includes(needle))) leaks.push(`${file}: ${needle}`);
      }
    }
    for (const [name, text] of [['stdout', result.stdout], ['stderr', result.stderr]] as const) {
      for (const secret of [OPENAI_KEY, ANTHROPIC_KEY]) for (const needle of needles(secret)) if (text.includes(needle)) leaks.push(`${name}: ${needle}`);
    }
    expect(leaks).toEqual([]);
    // The failures were recorded (so their messages were written somewhere that was searched).
    const judgments = await readFile(written.find((file) => file.endsWith('judgments.jsonl'))!, 'utf8');
    expect(judgments).toMatch(/auth: /);
  }, 120_000);
});

// Secrets planted where they are most likely to leak: a judge server that echoes the API key and the request URL
// in its error bodies, a base URL carrying `?key=`, and a study whose dataset is a signed URL. `judgekit judge`
// and `judgekit run` run as child processes; then every file under the run directories, the caches and HOME, and
// the captured stdout and stderr, are searched for the planted strings.
import { createServer, type Server } from 'node:http';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJudgekit, type CliResult } from './support/cli-process.js';
import { itemOfPrompt, listFiles, writeFixtureAnswers } from './support/judge-fixture.js';

const API_KEY = 'sk-PLANTED-apikey-5e1f0c2b9a7d';
const URL_KEY = 'PLANTEDurlkey8c41f7';
const SIGNATURE = 'PLANTEDsig3b9e2d71aa';
const SESSION_TOKEN = 'PLANTEDsessiontoken77d1';
const PLANTED = [API_KEY, URL_KEY, SIGNATURE, SESSION_TOKEN];
const ITEMS = 4;

let server: Server;
let port = 0;
let root: string;
let answerFiles: string[];
const seen: Array<{ url: string; authorization: string | undefined }> = [];

/** The planted strings, also base64- and URL-encoded, and a long inner piece (a truncated echo). */
function needles(): string[] {
  return PLANTED.flatMap((secret) => [secret, Buffer.from(secret).toString('base64').replace(/=+$/, ''), encodeURIComponent(secret), secret.slice(3, -3)]);
}

async function leaksIn(files: string[], outputs: Record<string, string>): Promise<string[]> {
  const leaks: string[] = [];
  for (const file of files) {
    const bytes = await readFile(file);
    const texts = [bytes.toString('utf8'), bytes.toString('latin1')];
    for (const needle of needles()) if (texts.some((text) => text.includes(needle))) leaks.push(`${file}: ${needle}`);
  }
  for (const [name, text] of Object.entries(outputs)) for (const needle of needles()) if (text.includes(needle)) leaks.push(`${name}: ${needle}`);
  return leaks;
}

function chatCompletion(text: string): string {
  return JSON.stringify({
    id: 'chatcmpl-planted',
    object: 'chat.completion',
    created: 0,
    model: 'planted-judge',
    choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 10, completion_tokens: 1, total_tokens: 11 },
  });
}

beforeAll(async () => {
  // Any POST is a chat completion (the SDK appends its path after the base URL's query). Item 1 gets a 401 and
  // item 2 a 400 whose bodies echo the key and the request URL, as careless servers do.
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const authorization = request.headers.authorization;
      seen.push({ url: request.url ?? '', authorization });
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { messages?: Array<{ content?: string }> };
      const prompt = body.messages?.at(-1)?.content ?? '';
      const item = itemOfPrompt(prompt);
      if (item === 1 || item === 2) {
        const message = `Incorrect API key provided: ${(authorization ?? '').replace(/^Bearer /, '')} for ${request.url} (Authorization: ${authorization})`;
        response.writeHead(item === 1 ? 401 : 400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message, type: 'invalid_request_error', code: null, param: null } }));
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end(chatCompletion(String(10 + item)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  root = await mkdtemp(join(tmpdir(), 'judgekit-secrets-planted-'));
  answerFiles = await writeFixtureAnswers(root, ITEMS);
  await mkdir(join(root, 'home'), { recursive: true });
});

afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  if (root) await rm(root, { recursive: true, force: true });
});

const keyedBaseURL = () => `http://127.0.0.1:${port}/v1?key=${URL_KEY}`;
const env = (): Record<string, string> => ({ HOME: join(root, 'home'), OPENAI_API_KEY: API_KEY, JUDGEKIT_CACHE_DIR: join(root, 'env-cache') });

function expectPlantedKeyWasUsed(from: number): void {
  const requests = seen.slice(from);
  expect(requests.length).toBeGreaterThanOrEqual(ITEMS * 3);
  expect(requests.every((request) => request.authorization === `Bearer ${API_KEY}` && request.url.includes(`key=${URL_KEY}`))).toBe(true);
}

describe('planted secrets never reach a file or the terminal', () => {
  it('`judgekit judge` with a ?key= base URL and a server echoing the key writes them to no file and prints them nowhere', async () => {
    const from = seen.length;
    const out = join(root, 'judge-run');
    const cache = join(root, 'judge-cache');
    const result: CliResult = await runJudgekit(
      ['judge', '--mode', 'single', '--judge', 'openai:planted-judge', '--base-url', keyedBaseURL(), '--out', out, '--cache-dir', cache, '--http-retries', '0', '--retries', '0', ...answerFiles],
      env(),
    );
    expect(result.stderr).not.toMatch(/unexpected error/);
    expect(result.code, result.stderr).toBe(0);
    expectPlantedKeyWasUsed(from);

    const files = [...(await listFiles(out)), ...(await listFiles(cache)), ...(await listFiles(join(root, 'env-cache'))), ...(await listFiles(join(root, 'home')))];
    expect(files.some((file) => file.endsWith('run.json'))).toBe(true);
    expect(await leaksIn(files, { stdout: result.stdout, stderr: result.stderr })).toEqual([]);
    // The failures and the endpoint were recorded, without their secrets.
    const judgments = await readFile(join(out, 'judgments.jsonl'), 'utf8');
    expect(judgments).toMatch(/auth: openai: 401 Incorrect API key provided: REDACTED for \/v1\?key=REDACTED/);
    const run = JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as { options: { baseURL: string } };
    expect(run.options.baseURL).toBe(`http://127.0.0.1:${port}/v1?key=REDACTED`);
  }, 120_000);

  it('`judgekit run` of a study with a signed dataset URL and a ?key= judge endpoint writes them to no file and prints them nowhere', async () => {
    const from = seen.length;
    const study = join(root, 'study');
    await mkdir(study, { recursive: true });
    const signedDataset = `http://127.0.0.1:${port}/data.json?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=${SIGNATURE}&X-Amz-Security-Token=${SESSION_TOKEN}`;
    const config = {
      runDir: 'run',
      cacheDir: '../study-cache',
      dataset: { location: signedDataset },
      models: answerFiles.map((file) => ({ name: file.replace(/^.*[\\/]/, '').replace(/-ift-test-results\.json$/, ''), answers: file })),
      judges: [{ mode: 'single', judge: 'openai:planted-judge', name: 'single-judge', retries: 0, providerOptions: { baseURL: keyedBaseURL() } }],
    };
    await writeFile(join(study, 'study.json'), JSON.stringify(config, null, 2));
    const result = await runJudgekit(['run', join(study, 'study.json')], env());
    expect(result.stderr).not.toMatch(/unexpected error/);
    expect(result.code, result.stderr).toBe(0);
    expectPlantedKeyWasUsed(from);

    const files = [...(await listFiles(join(study, 'run'))), ...(await listFiles(join(root, 'study-cache'))), ...(await listFiles(join(root, 'env-cache'))), ...(await listFiles(join(root, 'home')))];
    expect(files.some((file) => file.endsWith('run.json'))).toBe(true);
    expect(await leaksIn(files, { stdout: result.stdout, stderr: result.stderr })).toEqual([]);
    // run.json still records the study's dataset and endpoint, minus the secrets.
    const run = await readFile(join(study, 'run', 'run.json'), 'utf8');
    expect(run).toContain(`/data.json?X-Amz-Algorithm=REDACTED&X-Amz-Signature=REDACTED&X-Amz-Security-Token=REDACTED`);
    expect(run).toContain(`/v1?key=REDACTED`);
  }, 120_000);
});

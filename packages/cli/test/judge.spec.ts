// `judgekit judge` in-process through main(): batched and single against the fake server via the env the
// SDKs read, dry run, resume, the reference mode on the book's answers, and usage errors.
import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchedReplyFor, singlePromptAnswer, startFakeLlmServer, type FakeLlmServer } from '@judgekit/judges/testing';
import { main } from '../src/main.js';

const KEY = 'sk-test-SECRET-abc123';
const BOOK_ANSWERS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/data/book-answers/instruction-data-with-response.json');
let server: FakeLlmServer;
let root: string;
let files: string[];

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

async function judgekit(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = capture();
  const stderr = capture();
  const code = await main(['judge', ...args], {
    stdout: stdout.stream,
    stderr: stderr.stream,
    env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.openaiBaseURL, JUDGEKIT_CACHE_DIR: join(root, 'cache'), ...env },
    cwd: root,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

const worth = (answer: string): number => Number(/worth (\d+)/.exec(answer)?.[1] ?? -1);

beforeAll(async () => {
  server = await startFakeLlmServer((request) =>
    request.prompt.startsWith('Given the input') ? String(worth(singlePromptAnswer(request.prompt) ?? '')) : batchedReplyFor(request.prompt, worth),
  );
  root = await mkdtemp(join(tmpdir(), 'judgekit-cli-judge-'));
  files = [];
  for (const [name, scores] of [
    ['small', [10, 30, 50]],
    ['medium', [40, 60, 80]],
    ['large', [90, 90, 90]],
  ] as const) {
    const file = join(root, `${name}-ift-test-results.json`);
    await writeFile(file, JSON.stringify(scores.map((score, i) => ({ instruction: `Task ${i}`, input: '', output: `out ${i}`, model_response: `answer worth ${score}` }))));
    files.push(`${name}-ift-test-results.json`);
  }
});
afterAll(async () => {
  await server.close();
});

describe('judgekit judge', () => {
  it('judges batched end to end, prints the table, and a rerun makes no calls', async () => {
    const before = server.requests.length;
    const first = await judgekit(['--mode', 'batched', '--judge', 'openai:gpt-4o-mini', '--out', 'run-batched', '--concurrency', '2', ...files]);
    expect(first.stderr).not.toMatch(/error/i);
    expect(first.code).toBe(0);
    expect(server.requests.length - before).toBe(3);
    expect(first.stdout).toContain('| small | 30.00 |');
    expect(first.stdout).toContain('| medium | 60.00 |');
    expect(first.stdout).toContain('| large | 90.00 |');
    expect(first.stdout).toMatch(/calls: 3 made/);
    const out = join(root, 'run-batched');
    expect((await readdir(out)).sort()).toEqual(
      ['items.json', 'judgments.jsonl', 'large-ift-test-results-annotated.json', 'medium-ift-test-results-annotated.json', 'results.csv', 'results.json', 'results.md', 'run.json', 'small-ift-test-results-annotated.json', 'spend.jsonl'].sort(),
    );
    const run = JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as { options: Record<string, unknown>; cost: { session: number } };
    expect(run.options).toMatchObject({ mode: 'batched', judge: 'openai:gpt-4o-mini', concurrency: 2 });
    expect(run.cost.session).toBeGreaterThan(0);
    for (const name of await readdir(out)) expect(await readFile(join(out, name), 'utf8')).not.toContain('SECRET');

    const again = await judgekit(['--mode', 'batched', '--judge', 'openai:gpt-4o-mini', '--out', 'run-batched', ...files]);
    expect(again.code).toBe(0);
    expect(server.requests.length - before).toBe(3);
    expect(again.stdout).toContain('| small | 30.00 |');
  });

  it('judges single with --repeats 2 and the study wording', async () => {
    const before = server.requests.length;
    const result = await judgekit(['--mode', 'single', '--judge', 'openai:judge-x', '--out', 'run-single', '--repeats', '2', '--wording', 'study', '--temperature', '0', '--seed', '7', ...files]);
    expect(result.code).toBe(0);
    expect(server.requests.length - before).toBe(18);
    expect(server.requests[before]!.prompt).toContain('on a scale of 0 to 100');
    expect(server.requests[before]!.body).toMatchObject({ temperature: 0, seed: 7 });
    expect(result.stdout).toContain('| medium | 60.00 |');
    const annotated = JSON.parse(await readFile(join(root, 'run-single', 'small-ift-test-results-annotated.json'), 'utf8')) as Array<{ llm_scores: number[] }>;
    expect(annotated[1]!.llm_scores).toEqual([30, 30]);
  });

  it('reads "Score: N" replies by default and, with --strict-replies, fails them as the book does, recording the flag in run.json', async () => {
    server.setScript((request) => `Score: ${worth(singlePromptAnswer(request.prompt) ?? '')}\n\nClose to the reference.`);
    try {
      const lenient = await judgekit(['--mode', 'single', '--judge', 'openai:chatty', '--out', 'run-chatty', '--retries', '0', ...files]);
      expect(lenient.code).toBe(0);
      expect(lenient.stdout).toContain('| medium | 60.00 |');
      expect(lenient.stdout).toContain('9 scores read from replies only the lenient parser accepts');
      const strict = await judgekit(['--mode', 'single', '--judge', 'openai:chatty', '--out', 'run-chatty-strict', '--retries', '0', '--strict-replies', ...files]);
      expect(strict.code).toBe(1);
      expect(strict.stderr).toMatch(/no item got a score/);
      const run = JSON.parse(await readFile(join(root, 'run-chatty-strict', 'run.json'), 'utf8')) as { options: Record<string, unknown>; judge: Record<string, unknown> };
      expect(run.options.strictReplies).toBe(true);
      expect(run.judge.strictReplies).toBe(true);
    } finally {
      server.setScript((request) => (request.prompt.startsWith('Given the input') ? String(worth(singlePromptAnswer(request.prompt) ?? '')) : batchedReplyFor(request.prompt, worth)));
    }
  });

  it('prints a dry-run plan and makes no calls', async () => {
    const before = server.requests.length;
    const result = await judgekit(['--mode', 'single', '--judge', 'openai:gpt-4o', '--out', 'run-dry', '--dry-run', ...files]);
    expect(result.code).toBe(0);
    expect(server.requests.length).toBe(before);
    expect(result.stdout).toMatch(/3 items x 3 models x 1 repeat: 3 judgments to do/);
    expect(result.stdout).toMatch(/calls: 9 \(0 answered by the cache, 0 identical to another call of this run, 9 to make/);
    expect(result.stdout).toMatch(/estimated cost: \$\d/);
    expect(existsSync(join(root, 'run-dry', 'results.json'))).toBe(false);
  });

  it('judges through Anthropic with the Responses-free path', async () => {
    const before = server.requests.length;
    const result = await judgekit(['--mode', 'batched', '--judge', 'anthropic:claude-haiku-4-5', '--out', 'run-anthropic', ...files], {
      ANTHROPIC_API_KEY: KEY,
      ANTHROPIC_BASE_URL: server.anthropicBaseURL,
    });
    expect(result.code).toBe(0);
    expect(server.requests.slice(before).map((r) => r.api)).toEqual(['anthropic', 'anthropic', 'anthropic']);
    expect(result.stdout).toContain('| large | 90.00 |');
  });

  it('uses the Responses API with --api responses', async () => {
    const before = server.requests.length;
    const result = await judgekit(['--mode', 'batched', '--judge', 'openai:gpt-x', '--api', 'responses', '--out', 'run-responses', ...files]);
    expect(result.code).toBe(0);
    expect(server.requests.slice(before).every((r) => r.api === 'responses')).toBe(true);
  });

  it.skipIf(!existsSync(BOOK_ANSWERS))(`scores the book answers with the reference judge${existsSync(BOOK_ANSWERS) ? '' : ' (skipped: shared book answers absent)'}`, async () => {
    const result = await judgekit(['--mode', 'reference', '--out', 'run-reference', BOOK_ANSWERS]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/\| instruction-data-with-response \| \d+\.\d\d \| \[[\d.]+, [\d.]+\] \| 110 \| 0 \|/);
  });

  it('judges a file holding several models\' answers as one model per `<model> response` field, each annotated apart', async () => {
    const records = [0, 1, 2].map((i) => ({ instruction: `Task ${i}`, input: '', output: `out ${i}`, 'model 1 response': `answer worth ${20 + i}`, 'model 2 response': `answer worth ${70 + i}` }));
    await writeFile(join(root, 'pair-answers.json'), JSON.stringify(records));
    const result = await judgekit(['--mode', 'single', '--judge', 'openai:judge-x', '--out', 'run-pair', 'pair-answers.json', files[0]!]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('| model 1 | 21.00 |');
    expect(result.stdout).toContain('| model 2 | 71.00 |');
    expect(result.stdout).toContain('| small | 30.00 |');
    const written = await readdir(join(root, 'run-pair'));
    expect(written).toEqual(expect.arrayContaining(['pair-answers-model-1-response-annotated.json', 'pair-answers-model-2-response-annotated.json', 'small-ift-test-results-annotated.json']));
  });

  const BOOK_EVAL = resolve(dirname(BOOK_ANSWERS), 'eval-example-data.json');
  it.skipIf(!existsSync(BOOK_EVAL))(`scores the book's eval-example-data.json (two models in one file) with the reference judge${existsSync(BOOK_EVAL) ? '' : ` (skipped: ${BOOK_EVAL} is absent)`}`, async () => {
    const result = await judgekit(['--mode', 'reference', '--out', 'run-book-eval', BOOK_EVAL]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/\| model 1 \| \d+\.\d\d \| .* \| 100 \| 0 \|/);
    expect(result.stdout).toMatch(/\| model 2 \| \d+\.\d\d \| .* \| 100 \| 0 \|/);
  });

  it.each([
    [['--judge', 'openai:x', '--out', 'o', 'a.json'], /--mode is required/, 2],
    [['--mode', 'tournament', '--out', 'o', 'a.json'], /Unsupported --mode "tournament"\. Should be one of: .*pairwise/, 2],
    [['--mode', 'batched', '--out', 'o'], /Give one or more answer files/, 2],
    [['--mode', 'batched', '--judge', 'gpt-4o', '--out', 'o', 'small-ift-test-results.json'], /<provider>:<model>/, 2],
    [['--mode', 'batched', '--judge', 'mistral:x', '--out', 'o', 'small-ift-test-results.json'], /Unsupported judge provider "mistral"/, 2],
    [['--mode', 'batched', '--judge', 'openai:x', '--out', 'o', '--concurrency', 'lots', 'small-ift-test-results.json'], /--concurrency must be an integer/, 2],
    [['--mode', 'batched', '--judge', 'openai:x', '--out', 'o', 'missing.json'], /missing\.json/, 1],
  ])('rejects %j', async (args, message, code) => {
    const result = await judgekit(args);
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(code);
  });

  it('plans a dry run without an API key, and still refuses a real run without one', async () => {
    for (const judge of ['openai:gpt-4o-mini', 'anthropic:claude-haiku-4-5']) {
      const env = { OPENAI_API_KEY: '', OPENAI_BASE_URL: '', ANTHROPIC_API_KEY: '' };
      const dry = await judgekit(['--mode', 'single', '--judge', judge, '--out', 'run-dry-nokey', '--dry-run', ...files], env);
      expect(dry.stderr).not.toMatch(/API_KEY/);
      expect(dry.code).toBe(0);
      expect(dry.stdout).toMatch(/calls: 9 \(0 answered by the cache, 0 identical to another call of this run, 9 to make/);
      const real = await judgekit(['--mode', 'single', '--judge', judge, '--out', 'run-nokey', ...files], env);
      expect(real.code).toBe(1);
      expect(real.stderr).toMatch(/(OPENAI|ANTHROPIC)_API_KEY is not set/);
    }
  });

  it('says how to fix a missing key', async () => {
    const result = await judgekit(['--mode', 'batched', '--judge', 'openai:gpt-4o-mini', '--out', 'o', files[0]!], { OPENAI_API_KEY: '', OPENAI_BASE_URL: '' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/OPENAI_API_KEY is not set/);
  });

  it('exits non-zero when no item gets a score', async () => {
    server.setScript(() => ({ status: 401 }));
    try {
      const result = await judgekit(['--mode', 'single', '--judge', 'openai:denied', '--out', 'run-denied', files[0]!]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/no item got a score/);
    } finally {
      server.setScript((request) => (request.prompt.startsWith('Given the input') ? String(worth(singlePromptAnswer(request.prompt) ?? '')) : batchedReplyFor(request.prompt, worth)));
    }
  });
});

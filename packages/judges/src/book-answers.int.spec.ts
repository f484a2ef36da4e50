// The book's real answers (chapter 7, GPT-2 medium), scored by the reference judge and by a local fake
// judge through the real SDK, end to end into a run directory.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskCache, JudgeCallRunner, JudgeRunner, loadAnswerFiles, rougeLScore, type ModelAnswers } from '@judgekit/core';
import { OpenAiProvider } from './providers/openai-provider.js';
import { ReferenceJudge } from './reference-judge.js';
import { SingleJudge } from './single-judge.js';
import { singlePromptAnswer, startFakeLlmServer, type FakeLlmServer } from './testing/index.js';

// packages/judges/src -> repository root -> ../shared
const BOOK_ANSWERS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/data/book-answers/instruction-data-with-response.json');
const has = existsSync(BOOK_ANSWERS);

describe.skipIf(!has)(`book answers${has ? '' : ` (skipped: ${BOOK_ANSWERS} is absent)`}`, () => {
  let answers: ModelAnswers[];
  let server: FakeLlmServer;
  beforeAll(async () => {
    answers = await loadAnswerFiles([BOOK_ANSWERS]);
    // A fake judge that grades by word overlap with the reference, so its scores are checkable.
    server = await startFakeLlmServer((request) => {
      const output = /and correct output `([\s\S]*?)`, score the model response/.exec(request.prompt)?.[1] ?? '';
      return String(rougeLScore(singlePromptAnswer(request.prompt) ?? '', output));
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('has the 110 test items', () => {
    expect(answers[0]!.records).toHaveLength(110);
  });

  it('scores them with the reference judge: the ROUGE-L mean over all 110 items', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'judgekit-book-'));
    const summary = await new JudgeRunner().run({ answers, judge: new ReferenceJudge(), outDir });
    const expected = answers[0]!.records.reduce((sum, r) => sum + rougeLScore(r.model_response, r.output), 0) / 110;
    expect(summary.results.models[0]).toMatchObject({ name: 'instruction-data-with-response', scored: 110, failed: 0 });
    expect(summary.results.models[0]!.score).toBeCloseTo(expected, 10);
    expect(summary.results.models[0]!.score).toBeGreaterThan(30);
    expect(summary.results.models[0]!.score).toBeLessThan(90);
  });

  it('scores them with a single judge over the OpenAI SDK against a local server', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'judgekit-book-'));
    const provider = new OpenAiProvider({ env: { OPENAI_API_KEY: 'sk-test-SECRET-abc123' }, baseURL: server.openaiBaseURL });
    const calls = new JudgeCallRunner({ cache: new DiskCache(join(outDir, 'cache')), concurrency: 8 });
    const judge = new SingleJudge({ provider, calls, model: 'fake-llama3', temperature: 0, seed: 123 });
    const summary = await new JudgeRunner().run({ answers, judge, calls, outDir: join(outDir, 'run'), itemsInFlight: 16 });
    expect(server.requests).toHaveLength(110);
    expect(server.requests[0]!.body).toMatchObject({ temperature: 0, seed: 123, model: 'fake-llama3' });
    const reference = await new JudgeRunner().run({ answers, judge: new ReferenceJudge(), outDir: join(outDir, 'reference') });
    // The fake judge grades by ROUGE-L, so both runs agree to the item.
    expect(summary.results.models[0]!.score).toBeCloseTo(reference.results.models[0]!.score, 10);
    const annotated = JSON.parse(await readFile(join(outDir, 'run', 'instruction-data-with-response-annotated.json'), 'utf8')) as Array<{ llm_score: number }>;
    expect(annotated).toHaveLength(110);
    expect(annotated[0]!.llm_score).toBe(rougeLScore(answers[0]!.records[0]!.model_response, answers[0]!.records[0]!.output));
  });
});

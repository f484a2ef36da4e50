// Lenient and strict reply reading through a whole judge run against the fake server: scores read leniently are
// counted in results.json, and switching strictReplies redoes the logged judgments, naming the setting.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskCache, JudgeCallRunner, JudgeRunner, loadAnswerFiles, type ModelAnswers } from '@judgekit/core';
import { OpenAiProvider } from './providers/openai-provider.js';
import { SingleJudge } from './single-judge.js';
import { singlePromptAnswer, startFakeLlmServer, type FakeLlmServer } from './testing/index.js';

let server: FakeLlmServer;
let root: string;
let answers: ModelAnswers[];

/** Item 0 is answered the way chatty models answer; the others with the bare integer the prompt asks for. */
function script(request: { prompt: string }): string {
  const score = /worth (\d+)/.exec(singlePromptAnswer(request.prompt) ?? '')?.[1] ?? '0';
  return request.prompt.includes('Task 0') ? `**Score: ${score}/100**\n\nThe answer covers 2 of the 3 points.` : score;
}

beforeAll(async () => {
  server = await startFakeLlmServer(script);
  root = await mkdtemp(join(tmpdir(), 'judgekit-lenient-'));
  const files = await Promise.all(
    (
      [
        ['alpha', [10, 20, 30]],
        ['beta', [40, 50, 60]],
      ] as const
    ).map(async ([name, scores]) => {
      const file = join(root, `${name}-ift-test-results.json`);
      await writeFile(file, JSON.stringify(scores.map((score, index) => ({ instruction: `Task ${index}`, input: '', output: `out ${index}`, model_response: `answer worth ${score}` }))));
      return file;
    }),
  );
  answers = await loadAnswerFiles(files);
});
afterAll(async () => {
  await server.close();
});

describe('judge runs and reply leniency', () => {
  it('counts the scores read leniently in results.json, and redoes every judgment when strictReplies is switched on', async () => {
    const outDir = join(root, 'run');
    const cache = new DiskCache(join(root, 'cache'));
    const provider = new OpenAiProvider({ env: { OPENAI_API_KEY: 'sk-test' }, baseURL: server.openaiBaseURL });
    const run = (strictReplies: boolean, notices: string[]) => {
      const calls = new JudgeCallRunner({ cache, backoff: { baseMs: 1 } });
      const judge = new SingleJudge({ provider, calls, model: 'fake-judge', retries: 0, strictReplies });
      return new JudgeRunner().run({ answers, judge, calls, provider, outDir, notify: (message) => notices.push(message) });
    };

    const lenient = await run(false, []);
    expect(lenient.results.models.map((model) => [model.name, model.score, model.failed])).toEqual([
      ['alpha', 20, 0],
      ['beta', 50, 0],
    ]);
    expect(lenient.results.judges[0]?.lenientScores).toBe(2);
    expect(lenient.markdown).toContain('2 scores read from replies only the lenient parser accepts');

    const notices: string[] = [];
    const strict = await run(true, notices);
    expect(notices.join('\n')).toMatch(/3 judgments are redone because the judge's settings changed \(strictReplies false -> true\)/);
    // The book's reading drops item 0 for both models.
    expect(strict.results.models.map((model) => [model.name, model.score, model.failed])).toEqual([
      ['alpha', 25, 1],
      ['beta', 55, 1],
    ]);
    expect(strict.results.judges[0]?.lenientScores).toBe(0);
  });
});

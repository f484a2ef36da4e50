// Judge three models' answer files offline: a local OpenAI-compatible server (from @judgekit/judges/testing)
// stands in for the judge model, so no key is needed. Swap the provider's baseURL for a real endpoint (or drop
// it and export OPENAI_API_KEY) to judge for real.
//   node --conditions=@judgekit/source --import tsx/esm examples/judge-answers.ts [run-dir]
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { batchedReplyFor, DiskCache, JudgeCallRunner, JudgeRunner, loadAnswerFiles } from '@judgekit/core';
import { BatchedJudge, OpenAiProvider, ReferenceJudge } from '@judgekit/judges';
import { startFakeLlmServer } from '@judgekit/judges/testing';

const work = await mkdtemp(join(tmpdir(), 'judgekit-example-'));
const runDir = resolve(process.argv[2] ?? join(work, 'run'));

// Three answer files in the study's shape: {instruction, input, output, model_response} per test item.
const items = [
  { instruction: 'Name the capital of France.', input: '', output: 'The capital of France is Paris.' },
  { instruction: 'Convert to passive voice.', input: 'The cat chased the mouse.', output: 'The mouse was chased by the cat.' },
  { instruction: 'Give a synonym of "fast".', input: '', output: 'A synonym of "fast" is "quick".' },
];
const answers = {
  good: ['The capital of France is Paris.', 'The mouse was chased by the cat.', 'A synonym of "fast" is "quick".'],
  fair: ['Paris.', 'The mouse was chased.', 'Quick.'],
  poor: ['France.', 'The cat chased the mouse.', 'Slow.'],
};
const files: string[] = [];
for (const [name, responses] of Object.entries(answers)) {
  const file = join(work, `${name}-ift-test-results.json`);
  await writeFile(file, JSON.stringify(items.map((item, i) => ({ ...item, model_response: responses[i] }))));
  files.push(file);
}
const models = await loadAnswerFiles(files);

// The stand-in judge grades by answer length: 3 points a character, capped at 100.
const server = await startFakeLlmServer((request) =>
  batchedReplyFor(request.prompt, (answer) => Math.min(100, Math.round(answer.length * 3))),
);
try {
  const provider = new OpenAiProvider({ baseURL: server.openaiBaseURL, env: {} });
  const calls = new JudgeCallRunner({ cache: new DiskCache(join(work, 'cache')), concurrency: 4 });
  const batched = await new JudgeRunner().run({
    answers: models,
    judge: new BatchedJudge({ provider, calls, model: 'stand-in', temperature: 0 }),
    calls,
    outDir: runDir,
  });
  console.log(batched.markdown);
  console.log(`${server.requests.length} judge calls; files in ${runDir}`);

  // The offline reference judge (ROUGE-L F1 against the reference output) needs no model at all.
  const reference = await new JudgeRunner().run({ answers: models, judge: new ReferenceJudge(), outDir: join(work, 'reference') });
  console.log(reference.markdown);
} finally {
  await server.close();
}

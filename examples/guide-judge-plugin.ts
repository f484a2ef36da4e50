// Guide example (docs/guides/write-a-judge-plugin.md): load a third-party judge plugin next to the built-in
// judges, pick its mode like any other, and judge two models' answer files into a run directory.
//   node --conditions=@judgekit/source --import tsx/esm examples/guide-judge-plugin.ts
import 'reflect-metadata';
import { assembleContainer, getContributions, JudgeFactory, JudgeRunner, loadAnswerFiles, type AnswerRecord } from '@judgekit/core';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = await mkdtemp(join(tmpdir(), 'judgekit-guide-judge-'));
try {
  // Two models' answers in the study's format ({name}-ift-test-results.json).
  const items = [
    { instruction: 'Name a primary colour.', input: '', output: 'Red.' },
    { instruction: 'Rewrite in the passive voice.', input: 'The cat chased the mouse.', output: 'The mouse was chased by the cat.' },
    { instruction: 'What is 2 + 2?', input: '', output: '4' },
  ];
  const terse: AnswerRecord[] = items.map((item) => ({ ...item, model_response: item.output }));
  const wordy: AnswerRecord[] = items.map((item) => ({ ...item, model_response: `Certainly! Here is my answer: ${item.output} I hope this helps.` }));
  await writeFile(join(dir, 'terse-ift-test-results.json'), JSON.stringify(terse));
  await writeFile(join(dir, 'wordy-ift-test-results.json'), JSON.stringify(wordy));

  // The built-in judges and the plugin, as `"plugins": ["@judgekit/judges", "./plugins/length-judge-plugin.js"]`.
  const plugin = fileURLToPath(new URL('./plugins/length-judge-plugin.js', import.meta.url));
  const { container } = await assembleContainer({ plugins: ['@judgekit/judges', plugin] });
  const factories = getContributions<JudgeFactory>(container, JudgeFactory);
  console.log(`judge modes: ${factories.map((factory) => factory.mode).join(', ')}`);
  const length = factories.find((factory) => factory.mode === 'length');
  if (!length) throw new Error('the length judge plugin did not load');

  const answers = await loadAnswerFiles([join(dir, 'terse-ift-test-results.json'), join(dir, 'wordy-ift-test-results.json')]);
  const summary = await new JudgeRunner().run({ answers, judge: length.create({}), outDir: join(dir, 'run'), progress: { enabled: false } });
  console.log(summary.markdown);

  // The run directory has the same files as any judge's: judgments.jsonl, results.json, annotated answers.
  const results = JSON.parse(await readFile(join(dir, 'run', 'results.json'), 'utf8')) as { models: Array<{ name: string; score: number }> };
  const [terseScore, wordyScore] = results.models.map((model) => model.score);
  if (!(terseScore !== undefined && wordyScore !== undefined && wordyScore > terseScore)) throw new Error('the length judge should prefer the wordy answers');
} finally {
  await rm(dir, { recursive: true, force: true });
}

// `npm run demo`: the embedded default, offline. Writes answer files for a few fictional models on the project's
// own tiny instruction set, then runs the study pipeline (`judgekit run`) on them with the offline reference
// judge: results table, annotated files and the report. With OPENAI_API_KEY set, a batched LLM judge joins in.
import 'reflect-metadata';
import { splitDataset, writeJsonAtomic, type AnswerRecord } from '@judgekit/core';
import { tinyTaskItems, type TinyTaskCategory } from '@judgekit/datasets';
import { main } from 'judgekit';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const runRoot = resolve(process.env.JUDGEKIT_DEMO_DIR ?? 'runs/demo');

/** How each fictional model answers one item: skills per task family, from the reference answer. */
type Answerer = (output: string, category: TinyTaskCategory, index: number) => string;

const offByOne = (text: string): string => text.replace(/= (\d+)\./, (_, n: string) => `= ${Number(n) + 1}.`);
const wrongCapital = (text: string): string => text.replace(/is ([A-Z][a-z]+)\.$/, 'is Paris.');

const MODELS: Record<string, Answerer> = {
  // Knows every fact and does every rewrite; slips on one sum in five.
  scholar: (output, category, index) => (category === 'arithmetic' && index % 5 === 0 ? offByOne(output) : output),
  // Good at rewriting words, weak at recall and arithmetic.
  copyist: (output, category, index) =>
    category === 'fact' ? wrongCapital(output) : category === 'arithmetic' && index % 2 === 0 ? offByOne(output) : output,
  // Answers in the right shape, rarely with the right content.
  guesser: (output, category) =>
    category === 'copy' ? output : category === 'arithmetic' ? offByOne(output) : category === 'fact' ? wrongCapital(output) : 'I am not sure.',
  // Repeats the question back.
  parrot: () => 'Below is an instruction that describes a task.',
};

async function writeAnswerFiles(dir: string): Promise<Array<{ name: string; answers: string }>> {
  const items = tinyTaskItems({ count: 300, seed: 7 });
  const split = splitDataset(items);
  await mkdir(dir, { recursive: true });
  const files: Array<{ name: string; answers: string }> = [];
  for (const [name, answer] of Object.entries(MODELS)) {
    const records: AnswerRecord[] = split.test.map(({ record, category }, index) => ({ ...record, model_response: answer(record.output, category, index) }));
    const file = join(dir, `${name}-ift-test-results.json`);
    await writeJsonAtomic(file, records);
    files.push({ name, answers: file });
  }
  return files;
}

const answers = await writeAnswerFiles(join(runRoot, 'fictional-answers'));
const judges: Array<Record<string, unknown>> = [{ name: 'reference', mode: 'reference' }];
if (process.env.OPENAI_API_KEY) judges.push({ name: 'batched', mode: 'batched', judge: `openai:${process.env.JUDGEKIT_DEMO_JUDGE ?? 'gpt-4o-mini'}` });
const configFile = join(runRoot, 'study.json');
await writeJsonAtomic(configFile, { runDir: 'run', models: answers, judges });

console.log(`judgekit demo: ${answers.length} fictional models, ${judges.map((j) => j.name).join(' + ')} judge${judges.length > 1 ? 's' : ''}`);
process.exitCode = await main(['run', configFile], { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });

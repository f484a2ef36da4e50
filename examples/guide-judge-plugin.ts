// Guide example (docs/guides/write-a-judge-plugin.md): a judge plugin (examples/plugins/length-judge-plugin.ts, the
// `length` mode) used the ways the guide shows: listed by `judgekit plugins`, selected with its options in a study
// config beside the built-in reference judge (examples/studies/plugin-judge.json), given `--options` by `judgekit
// judge`, and loaded into a container by a test.
//   node --conditions=@judgekit/source --import tsx/esm examples/guide-judge-plugin.ts
import 'reflect-metadata';
import { assembleContainer, type AlpacaRecord, type RunResults } from '@judgekit/core';
import { main } from 'judgekit';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const examples = fileURLToPath(new URL('.', import.meta.url));
const plugin = join(examples, 'plugins', 'length-judge-plugin.ts');
const dir = await mkdtemp(join(tmpdir(), 'judgekit-guide-judge-'));

/** `npx judgekit <args>`, in this process. */
async function judgekit(args: string[]): Promise<void> {
  const code = await main(args, { stdout: process.stdout, stderr: process.stderr, env: { ...process.env, JUDGEKIT_CACHE_DIR: join(dir, 'cache') }, cwd: dir });
  if (code !== 0) throw new Error(`judgekit ${args.join(' ')} exited with ${code}`);
}

async function results(runDir: string): Promise<RunResults> {
  return JSON.parse(await readFile(join(runDir, 'results.json'), 'utf8')) as RunResults;
}

try {
  // `judgekit plugins --plugin ./examples/plugins/length-judge-plugin.ts --kind judge`: the mode, its package, its options.
  await judgekit(['plugins', '--plugin', plugin, '--kind', 'judge']);

  // `judgekit run examples/studies/plugin-judge.json`: the plugin's column beside the reference judge's.
  await judgekit(['run', join(examples, 'studies', 'plugin-judge.json'), '--run-dir', join(dir, 'study'), '--quiet']);
  const study = await results(join(dir, 'study'));
  const [terse, wordy] = study.models;
  console.log(`study columns: ${study.judges.map((judge) => judge.name).join(', ')}`);
  if (wordy?.judges?.length?.score !== 40 || !(terse && terse.judges!.length!.score < 40)) throw new Error('the length judge should cap the wordy answers at 40');
  if (!(terse.judges!.reference!.score > wordy.judges!.reference!.score)) throw new Error('the reference judge should prefer the terse answers');

  // `judgekit judge --mode length --plugin ... --options '{"cap": 10}'`: a plugin mode straight from the command line.
  const answers = ['terse', 'wordy'].map((name) => join(examples, 'studies', 'answers', `${name}-ift-test-results.json`));
  await judgekit(['judge', '--mode', 'length', '--plugin', plugin, '--options', '{"cap": 10}', '--out', join(dir, 'judged'), ...answers]);
  if ((await results(join(dir, 'judged'))).models.some((model) => model.score > 10)) throw new Error('--options did not reach the judge');

  // #region test-in-a-container
  // The plugin as judgekit loads it: its options checked against its schema (defaults filled in), one item scored.
  const { registry } = await assembleContainer({ plugins: [plugin] });
  const { value: factory, options } = registry.resolve('judge', 'length', { cap: 10 }, { file: 'study.json', path: 'judges[1]' });
  const record: AlpacaRecord = { instruction: 'Name a primary colour.', input: '', output: 'Red.' };
  const result = await factory.create({ options }).scoreItem({
    index: 0,
    repeat: 0,
    record,
    prompt: record.instruction,
    answers: [
      { model: 'terse', response: 'Red.' },
      { model: 'wordy', response: 'Certainly! Red is a primary colour.' },
    ],
  });
  console.log(result.scores); // [{ model: 'terse', score: 4 }, { model: 'wordy', score: 10 }]
  // #endregion
  if (result.scores.map((score) => score.score).join() !== '4,10') throw new Error(`unexpected scores ${JSON.stringify(result.scores)}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}

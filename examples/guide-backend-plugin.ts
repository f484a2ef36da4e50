// Guide example (docs/guides/write-a-backend-plugin.md): a backend plugin (judgekit-plugin-unigram, from
// examples/plugins/unigram-backend/) loaded through the registry with its options, measuring test loss with
// judgekit's own protocol and generating; then a study config (examples/studies/plugin-backend.json) that gives one
// model the plugin's backend and another the built-in ONNX one: `judgekit run` measures both models' test loss,
// generates their answers (each through its own backend) and judges them.
//   node --conditions=@judgekit/source --import tsx/esm examples/guide-backend-plugin.ts
import 'reflect-metadata';
import { assembleContainer, computeTestLoss, formatLoss, openTokenSource, type RunLosses } from '@judgekit/core';
import { gpt2TextTokenizer } from '@judgekit/backends';
import { createTinyGpt2 } from '@judgekit/backends/testing';
import { tinyTasks } from '@judgekit/datasets';
import { main } from 'judgekit';
import type { UnigramCheckpoint } from 'judgekit-plugin-unigram';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = await mkdtemp(join(tmpdir(), 'judgekit-guide-backend-'));
try {
  // "Train" the unigram model: count the GPT-2 tokens of a small corpus. Then some held-out text.
  const corpus = 'The river runs to the sea. The sea is wide and the river is long. A boat sails on the river.';
  const counts: Record<string, number> = {};
  for (const token of gpt2TextTokenizer.encode(corpus)) counts[token] = (counts[token] ?? 0) + 1;
  const unigram: UnigramCheckpoint = { kind: 'unigram', vocabSize: gpt2TextTokenizer.endOfText + 1, contextLength: 16, counts };
  const checkpoint = join(dir, 'unigram.json');
  const heldOut = join(dir, 'held-out.txt');
  await writeFile(checkpoint, JSON.stringify(unigram));
  await writeFile(heldOut, 'The boat is on the sea and the river is wide. The river is long.');

  // #region load-a-backend
  // The plugin as a config loads it: by package name; the backend by id, its options checked against its schema.
  const { registry } = await assembleContainer({ plugins: ['judgekit-plugin-unigram'] });
  const { value: backend, options } = registry.resolve('backend', 'unigram', { smoothing: 0.5 }, { file: 'study.json', path: 'models[0]' });
  const model = await backend.loadLikelihoodModel({ path: checkpoint }, { options });
  const tokens = await openTokenSource(heldOut, { tokenizer: model.tokenizer }); // the backend's own tokenizer
  try {
    // judgekit's protocol (windows, batches, aggregation), the same for every backend.
    const loss = await computeTestLoss(model, tokens, { contextLength: 16, batchSize: 2 });
    console.log(`unigram: loss ${loss.loss.toFixed(3)} over ${loss.tokens} tokens`, loss.protocol);
  } finally {
    await tokens.close();
    await model.dispose();
  }
  const generator = await backend.loadGenerativeModel({ path: checkpoint }, { options });
  const [completion] = await generator.generate([generator.tokenizer.encode('Say something:')], { maxNewTokens: 5 });
  console.log(`generated: ${JSON.stringify(generator.tokenizer.decode(completion ?? []))}`);
  await generator.dispose();
  // #endregion

  // The study config names the plugin and gives each model its backend; here its files are made next to a copy.
  await copyFile(fileURLToPath(new URL('./studies/plugin-backend.json', import.meta.url)), join(dir, 'study.json'));
  await createTinyGpt2({ dir, name: 'tiny-gpt2', vocabSize: 50257, contextLength: 128, embDim: 8, nLayers: 1, nHeads: 2, naming: 'book' });
  await writeFile(join(dir, 'tasks.json'), JSON.stringify(tinyTasks({ count: 40 })));
  const code = await main(['run', 'study.json', '--run-dir', 'run', '--quiet'], { stdout: process.stdout, stderr: process.stderr, env: { ...process.env, JUDGEKIT_CACHE_DIR: join(dir, 'cache') }, cwd: dir });
  if (code !== 0) throw new Error(`judgekit run exited with ${code}`);
  const losses = JSON.parse(await readFile(join(dir, 'run', 'loss.json'), 'utf8')) as RunLosses;
  for (const row of losses.models) console.log(`${row.name}: test loss ${formatLoss(row)}`);
  const answers = JSON.parse(await readFile(join(dir, 'run', 'answers', 'unigram-ift-test-results.json'), 'utf8')) as Array<{ model_response: string }>;
  console.log(`unigram's first answer: ${JSON.stringify(answers[0]?.model_response)}`);
  // A sanity check the tests rely on: both are real cross-entropies, below uniform guessing (ln 50257 = 10.8) for
  // the unigram model, and the two backends give different numbers.
  const [fromPlugin, fromOnnx] = losses.models;
  if (!(fromPlugin && fromOnnx && fromPlugin.loss > 0 && fromPlugin.loss < Math.log(50257) && Math.abs(fromPlugin.loss - fromOnnx.loss) > 0.1)) {
    throw new Error(`unexpected losses ${JSON.stringify(losses.models)}`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

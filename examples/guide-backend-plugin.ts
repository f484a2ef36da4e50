// Guide example (docs/guides/write-a-backend-plugin.md): load a third-party ModelBackend plugin, measure test
// loss with judgekit's own protocol (computeTestLoss) on a token stream, and generate with it.
//   node --conditions=@judgekit/source --import tsx/esm examples/guide-backend-plugin.ts
import 'reflect-metadata';
import { assembleContainer, computeTestLoss, getContributions, ModelBackend, tokenSourceFromArray } from '@judgekit/core';
import { decodeGpt2, encodeGpt2, GPT2_VOCAB_SIZE } from '@judgekit/backends/tokenizer';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { UnigramCheckpoint } from 'judgekit-plugin-unigram';

const dir = await mkdtemp(join(tmpdir(), 'judgekit-guide-backend-'));
try {
  // "Train" the unigram model: count the tokens of a small corpus.
  const corpus = 'The river runs to the sea. The sea is wide and the river is long. A boat sails on the river.';
  const counts: Record<string, number> = {};
  for (const token of encodeGpt2(corpus)) counts[token] = (counts[token] ?? 0) + 1;
  const checkpoint: UnigramCheckpoint = { kind: 'unigram', vocabSize: GPT2_VOCAB_SIZE, contextLength: 16, counts };
  const path = join(dir, 'unigram.json');
  await writeFile(path, JSON.stringify(checkpoint));

  // Load the plugin the way a config would: a package name (or a path) whose default export is a ContainerModule.
  const { container } = await assembleContainer({ plugins: ['judgekit-plugin-unigram'] });
  const backend = getContributions<ModelBackend>(container, ModelBackend).find((candidate) => candidate.id === 'unigram');
  if (!backend) throw new Error('the unigram backend did not load');

  // Test loss on held-out text, with the same windows and aggregation as every other backend.
  const model = await backend.loadLikelihoodModel({ path });
  const heldOut = encodeGpt2('The boat is on the sea and the river is wide.');
  const loss = await computeTestLoss(model, tokenSourceFromArray(heldOut, 'held-out sentence'), { contextLength: 8, batchSize: 2 });
  console.log(`unigram test loss ${loss.loss.toFixed(3)} over ${loss.tokens} tokens (${loss.protocol.kind}, context ${loss.protocol.contextLength})`);
  await model.dispose();

  const generator = await backend.loadGenerativeModel({ path });
  const [completion] = await generator.generate([encodeGpt2('Say something:')], { maxNewTokens: 5 });
  console.log(`generated: ${JSON.stringify(decodeGpt2(completion ?? []))}`);
  await generator.dispose();
  // A sanity check the tests rely on: uniform guessing over the vocabulary would give ln(50257) = 10.8.
  if (!(loss.loss > 0 && loss.loss < Math.log(GPT2_VOCAB_SIZE))) throw new Error(`unexpected loss ${loss.loss}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}

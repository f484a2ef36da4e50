// Test loss from code: open a checkpoint as a LikelihoodModel, stream token windows through it, and get the loss
// with its protocol. A tiny seeded checkpoint stands in for your model; pass a real `.safetensors` (config beside
// it) or `.onnx` path instead, and the study's slice: { startToken: 50_000_000, batches: 3200, batchSize: 6 }.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeTestLoss, formatLoss, openTokenSource } from '@judgekit/core';
import { createGpt2LikelihoodModel, gpt2TextTokenizer } from '@judgekit/backends';
import { createTinyGpt2 } from '@judgekit/backends/testing';

const dir = await mkdtemp(join(tmpdir(), 'judgekit-example-loss-'));
try {
  const tiny = await createTinyGpt2({ dir, vocabSize: 50257, contextLength: 32, embDim: 16, nLayers: 2, nHeads: 2, naming: 'book' });
  // Held-out documents, one JSON object per line; each document is followed by <|endoftext|> (50256).
  const documents = ['The quick brown fox jumps over the lazy dog.', 'A second, unrelated document about the weather in spring.'];
  await writeFile(join(dir, 'held-out.jsonl'), documents.map((text) => JSON.stringify({ text })).join('\n'));

  const model = await createGpt2LikelihoodModel(tiny.checkpointPath, { device: 'cpu' });
  // The protocol lives in core; documents are tokenized by the model's tokenizer (GPT-2 here).
  const tokens = await openTokenSource(join(dir, 'held-out.jsonl'), { tokenizer: gpt2TextTokenizer });
  try {
    const nonOverlapping = await computeTestLoss(model, tokens, { batchSize: 2 });
    // "loss 11.164 (mean of 1 batch mean, 2 x 32 windows, last window partial; token mean 11.164, 22 tokens)": one
    // short window here; on longer data the two means differ when the last batch is short.
    console.log(`loss ${formatLoss(nonOverlapping)}`, nonOverlapping.protocol);
    // Sliding windows: each window scores only tokens no earlier window scored (lower numbers; say which you used).
    const strided = await computeTestLoss(model, tokens, { batchSize: 2, stride: 16 });
    console.log(`strided loss ${formatLoss(strided)}`);
  } finally {
    await model.dispose();
    await tokens.close();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

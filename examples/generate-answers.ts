// Generate a model's answers to Alpaca records in the study's format, from code. A tiny seeded checkpoint stands
// in for your fine-tuned model here; pass a real `.safetensors` (config beside it) or `.onnx` path instead.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateAnswers, type AlpacaRecord } from '@judgekit/core';
import { openGenerativeModel } from '@judgekit/backends/generation';
import { createTinyGpt2 } from '@judgekit/backends/testing';

const dir = await mkdtemp(join(tmpdir(), 'judgekit-example-generate-'));
try {
  const tiny = await createTinyGpt2({ dir, vocabSize: 50257, contextLength: 128, embDim: 8, nLayers: 1, nHeads: 2 });
  const records: AlpacaRecord[] = [
    { instruction: 'Name the capital of France.', input: '', output: 'Paris.' },
    { instruction: 'Convert to passive voice.', input: 'The cat chased the mouse.', output: 'The mouse was chased by the cat.' },
  ];
  const model = await openGenerativeModel(tiny.checkpointPath, { device: 'cpu' });
  try {
    // Greedy, at most 256 new tokens (here 8), 1024-token window: the study's protocol. Run it again and it resumes.
    const result = await generateAnswers({ model, records, out: dir, name: 'tiny', maxNewTokens: 8, template: 'book' });
    console.log(`${result.path}: ${result.generated} generated, ${result.resumed} resumed`);
    console.log(JSON.parse(await readFile(result.path, 'utf8')));
  } finally {
    await model.dispose();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
